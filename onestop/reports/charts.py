"""Charts drawn on the server as SVG: no JavaScript, they print, and the table beside them holds the same
numbers for screen readers. Every text put into the SVG is escaped here; colours come from CSS classes
(reports.css), so the page needs no style attribute."""
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _


def _svg(width, height, title, body):
    return mark_safe(
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def _nice_max(value, ticks=4):
    """A round top for an axis of ``ticks`` steps, each step 1, 2 or 5 times a power of ten."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor * ticks:
                return step * factor * ticks
        step *= 10


def monthly_bars(rows, title):
    """Stacked bars per month: resolved early, on time and late. ``rows``: summary rows grouped by month."""
    labels = {"early": _("Early"), "on_time": _("On time"), "late": _("Late")}
    width, height, left, bottom, top = 640, 280, 44, 40, 36
    plot_w, plot_h = width - left - 10, height - top - bottom
    top_value = _nice_max(max([r["early"] + r["on_time"] + r["late"] for r in rows] + [1]))
    body = []
    for i in range(5):  # grid lines and their values
        value = top_value * i / 4
        y = top + plot_h - plot_h * i / 4
        body.append(f'<line class="grid" x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}"/>')
        body.append(f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>')
    slot = plot_w / max(len(rows), 1)
    bar = min(48, slot * 0.7)
    every = -(-len(rows) // 12)  # at most 12 month labels
    for n, r in enumerate(rows):
        x = left + slot * n + (slot - bar) / 2
        y = top + plot_h
        for key in ("early", "on_time", "late"):
            h = plot_h * r[key] / top_value
            if h:
                y -= h
                tip = f"{r['month']:%m/%Y} · {labels[key]}: {r[key]}"
                body.append(f'<rect class="bar {key}" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}">'
                            f'<title>{escape(tip)}</title></rect>')
        if n % every == 0:
            body.append(f'<text class="axis" x="{x + bar / 2:.1f}" y="{height - bottom + 16}" '
                        f'text-anchor="middle">{r["month"]:%m/%Y}</text>')
    if not rows:
        empty = escape(_("No dossier resolved in this period."))
        body.append(f'<text class="axis" x="{width / 2}" y="{height / 2}" text-anchor="middle">{empty}</text>')
    x = left
    for key in ("early", "on_time", "late"):  # the legend, above the plot
        body.append(f'<rect class="swatch {key}" x="{x}" y="8" width="14" height="14"/>'
                    f'<text class="legend" x="{x + 20}" y="20">{escape(labels[key])}</text>')
        x += 34 + 9 * len(labels[key])
    return _svg(width, height, title, body)


RATE_BARS = 15


def rate_bars(rows, title):
    """Horizontal bars: the on-time rate (%) per agency, lowest first (where dossiers are late), at most
    RATE_BARS of them (the table lists every agency). ``rows``: summary rows grouped by agency."""
    rows = sorted((r for r in rows if r["on_time_rate"] is not None),
                  key=lambda r: (r["on_time_rate"], r["agency"]["name"] if r.get("agency") else ""))[:RATE_BARS]
    row_h, left, width, top = 30, 290, 640, 10
    height = top + row_h * max(len(rows), 1) + 30
    plot_w = width - left - 60
    body = []
    for pct in (0, 50, 100):
        x = left + plot_w * pct / 100
        body.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - 24}"/>'
                    f'<text class="axis" x="{x:.1f}" y="{height - 8}" text-anchor="middle">{pct}%</text>')
    for n, r in enumerate(rows):
        y = top + row_h * n
        name = r["agency"]["name"] if r.get("agency") else ""
        short = name if len(name) <= 32 else name[:31] + "…"
        rate = r["on_time_rate"]
        level = "ok" if rate >= 90 else "warn" if rate >= 70 else "bad"
        body.append(f'<text class="axis" x="{left - 8}" y="{y + 19}" text-anchor="end">{escape(short)}'
                    f'<title>{escape(name)}</title></text>')
        body.append(f'<rect class="rate {level}" x="{left}" y="{y + 6}" width="{plot_w * rate / 100:.1f}" '
                    f'height="{row_h - 12}"><title>{escape(name)}: {rate:g}%</title></rect>')
        body.append(f'<text class="value" x="{left + plot_w * rate / 100 + 6:.1f}" y="{y + 19}">{rate:g}%</text>')
    if not rows:
        empty = escape(_("No dossier resolved in this period."))
        body.append(f'<text class="axis" x="{width / 2}" y="{top + 20}" text-anchor="middle">{empty}</text>')
    return _svg(width, height, title, body)

"""``{% pager page %}``: the "previous / page N of M / next" links under every paged list of the site.

The links keep the page's other query parameters (filters, search, another list's page) and change only
``param``. With ``hx_url`` and ``hx_target`` they also ask htmx to swap in the list alone, and push the URL.
"""
from django import template
from django.core.paginator import Page
from django.http import QueryDict

register = template.Library()


def _link(query: QueryDict, param: str, number: int) -> str:
    query = query.copy()
    query[param] = number
    return f"?{query.urlencode()}"


@register.inclusion_tag("web/pager.html", takes_context=True)
def pager(context: template.Context, page: Page, param: str = "page", hx_url: str = "",
          hx_target: str = "") -> dict:
    request = context.get("request")
    query = request.GET if request is not None else QueryDict()
    return {
        "page": page,
        "previous": _link(query, param, page.previous_page_number()) if page.has_previous() else "",
        "next": _link(query, param, page.next_page_number()) if page.has_next() else "",
        "hx_url": hx_url,
        "hx_target": hx_target,
    }

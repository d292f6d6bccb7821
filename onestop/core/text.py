"""Text as people type it."""
import unicodedata

from django.utils.translation import gettext_noop


def fold(text: str) -> str:
    """``text`` in lower case without its diacritics (``Nguyễn Văn Ánh`` -> ``nguyen van anh``; ``đ`` -> ``d``):
    how searches compare, since people often type Vietnamese without its marks."""
    text = unicodedata.normalize("NFD", (text or "").lower().replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))


def bilingual(text: str | None, language: str | None = None) -> str:
    """The half of a "Tiếng Việt / English" label (as BPMN files and the desk's steps name things) in
    ``language`` (the active language when None), so a page never shows both languages at once.
    Text without the " / " separator is returned whole: it is in one language already."""
    if language is None:
        from django.utils.translation import get_language
        language = get_language() or "vi"
    if " / " not in (text or ""):
        return text or ""
    vi, en = text.split(" / ", 1)
    return en.strip() if language.startswith("en") else vi.strip()


# Texts stored as they read in the language of whoever acted (a hand-over's result: "Submitted online").
STORED_TEXTS = ("Submitted online", "Submitted at the desk", "Supplemented")


def stored_text(text: str | None) -> str:
    """``text`` in the active language when it is one of ``STORED_TEXTS`` as written in either language;
    any other text as it is."""
    from django.utils import translation

    for msgid in STORED_TEXTS:
        for language in ("vi", "en"):
            with translation.override(language):
                written = translation.gettext(msgid)
            if text == written:
                return translation.gettext(msgid)
    return text or ""


# How the connection layer words a failed call (interop.connectors, interop.platform), and what a person reads.
ERRORS = (
    (r"(?P<peer>.+): connection failed \(\w+\)", gettext_noop("%(peer)s: could not connect")),
    (r"(?P<peer>.+): no answer within the time limit", gettext_noop("%(peer)s: no answer within the time limit")),
    (r"(?P<peer>.+) answered (?P<status>\d+)", gettext_noop("%(peer)s answered with an error (%(status)s)")),
    (r"(?P<peer>.+) answered something that is not JSON", gettext_noop("%(peer)s gave an answer that cannot be read")),
    (r"(?P<peer>.+) refused the request: HTTP (?P<status>\d+).*",
     gettext_noop("%(peer)s refused the request (%(status)s)")),
    (r"(?P<peer>.+): the answer is not trustworthy .*", gettext_noop("%(peer)s: the answer could not be verified")),
)


def readable_error(text: str | None) -> str:
    """An exchange's error as the connection layer recorded it (technical English), in the active language;
    any other text as it is. The recorded text stays in the admin for whoever investigates."""
    import re

    from django.utils.translation import gettext

    for pattern, msgid in ERRORS:
        match = re.fullmatch(pattern, text or "", flags=re.S)
        if match:
            return gettext(msgid) % match.groupdict()
    return text or ""


def named(obj) -> str | None:
    """An agency's or another system's name in the active language: its English name (``name_en``), when it has
    one, on an English request or page; else its name."""
    if obj is None:
        return None
    from django.utils.translation import get_language

    english = getattr(obj, "name_en", "") and (get_language() or "vi").startswith("en")
    return obj.name_en if english else obj.name

"""Text as people type it."""
import unicodedata


def fold(text: str) -> str:
    """``text`` in lower case without its diacritics (``Nguyễn Văn Ánh`` -> ``nguyen van anh``; ``đ`` -> ``d``):
    how searches compare, since people often type Vietnamese without its marks."""
    text = unicodedata.normalize("NFD", (text or "").lower().replace("đ", "d"))
    return "".join(c for c in text if not unicodedata.combining(c))

"""A procedure's own content (its name, field, fee note, documents and applicant's form) in one language.

The catalogue keeps Vietnamese texts and, beside them, English ones: ``name_en``, ``field_en``,
``fee_note_en``, each document's ``name_en`` and ``condition_en``, and in the form's JSON Schema an ``x-en``
keyword (docs/forms.md)::

    {"title": "Tờ khai", "x-en": {"title": "Declaration"},
     "properties": {"sex": {"type": "string", "title": "Giới tính", "enum": ["nam", "nữ"],
                            "x-en": {"title": "Sex", "options": {"nam": "Male", "nữ": "Female"}}}}}

An English page shows a procedure in English only when every piece it shows has its English text; otherwise
the whole procedure stays Vietnamese (and the page says so once), never a mix within one procedure.
"""
import copy

from onestop.core import refcache

EN = "x-en"
ENGLISH = "procedure-english"  # procedure id -> whether it reads wholly in English
# What deciding reads; the hot reads of a step leave the two JSON columns out (deferred).
_CONTENT_FIELDS = ("name", "name_en", "field", "field_en", "fee_note", "fee_note_en", "documents", "form_schema")
refcache.invalidate_on("procedures.Procedure", ENGLISH)


def _is_english(language: str | None) -> bool:
    if language is None:
        from django.utils.translation import get_language
        language = get_language() or "vi"
    return language.startswith("en")


def _schema_missing(schema: dict) -> list[str]:
    """What the form shows that has no English text, as ``["title", "child_sex.options.nữ", ...]``."""
    schema = schema or {}
    missing = []
    if schema.get("title") and not (schema.get(EN) or {}).get("title"):
        missing.append("title")
    for name, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict):
            continue
        english = spec.get(EN) if isinstance(spec.get(EN), dict) else {}
        for key in ("title", "description"):
            if spec.get(key) and not english.get(key):
                missing.append(f"{name}.{key}")
        options = english.get("options") if isinstance(english.get("options"), dict) else {}
        for value, _label in _option_values(spec):
            if not options.get(value):
                missing.append(f"{name}.options.{value}")
    return missing


def _option_values(spec: dict) -> list[tuple[str, str]]:
    if isinstance(spec.get("enum"), list):
        return [(str(v), str(v)) for v in spec["enum"]]
    options = spec.get("oneOf") or spec.get("anyOf") or []
    if isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options):
        return [(str(o["const"]), str(o.get("title", o["const"]))) for o in options]
    return []


def missing_english(procedure) -> list[str]:
    """The pieces of ``procedure``'s content that have no English text (empty: it reads wholly in English)."""
    missing = []
    for attr in ("name", "field", "fee_note"):
        if getattr(procedure, attr, "") and not getattr(procedure, f"{attr}_en", ""):
            missing.append(attr)
    for index, document in enumerate(procedure.documents or []):
        document = document or {}
        for key in ("name", "condition"):
            if document.get(key) and not document.get(f"{key}_en"):
                missing.append(f"documents.{index}.{key}")
    missing.extend(f"form.{piece}" for piece in _schema_missing(procedure.form_schema))
    return missing


def content_language(procedure, language: str | None = None) -> str:
    """``"en"`` when the page is English and the procedure has every English text, else ``"vi"``."""
    return "en" if _is_english(language) and _wholly_english(procedure) else "vi"


def _wholly_english(procedure) -> bool:
    """Whether ``procedure`` reads wholly in English. A procedure read without its form and documents (the
    steps' and lists' reads defer them) is decided once per process from its stored row, kept as reference
    data (``onestop.core.refcache``), instead of loading its whole form on every request."""
    if procedure.pk is None or not procedure.get_deferred_fields().intersection(_CONTENT_FIELDS):
        return not missing_english(procedure)
    model = type(procedure)
    return refcache.cache(ENGLISH).get(procedure.pk, lambda: not missing_english(
        model.objects.only(*_CONTENT_FIELDS).get(pk=procedure.pk)))


def text(procedure, attr: str, language: str) -> str:
    """``procedure.<attr>`` in ``language`` (the result of ``content_language``)."""
    if language == "en":
        return getattr(procedure, f"{attr}_en", "") or getattr(procedure, attr, "")
    return getattr(procedure, attr, "")


def documents(procedure, language: str) -> list[dict]:
    """The procedure's documents with ``name`` and ``condition`` in ``language``; the rest as stored."""
    rows = []
    for document in procedure.documents or []:
        row = dict(document or {})
        if language == "en":
            for key in ("name", "condition"):
                if row.get(f"{key}_en"):
                    row[key] = row[f"{key}_en"]
        rows.append(row)
    return rows


def schema(form_schema: dict, language: str) -> dict:
    """``form_schema`` with its titles, descriptions and option names in ``language``; values and rules kept,
    so a dossier's answers validate the same in either language. Option names are given to the form as
    ``x-labels`` (``{value: name}``)."""
    if language != "en" or not form_schema:
        return form_schema
    result = copy.deepcopy(form_schema)
    english = result.get(EN) if isinstance(result.get(EN), dict) else {}
    if english.get("title"):
        result["title"] = english["title"]
    for spec in (result.get("properties") or {}).values():
        if not isinstance(spec, dict) or not isinstance(spec.get(EN), dict):
            continue
        english = spec[EN]
        for key in ("title", "description"):
            if english.get(key):
                spec[key] = english[key]
        options = english.get("options")
        if isinstance(options, dict):
            spec["x-labels"] = {value: options.get(value) or label for value, label in _option_values(spec)}
    return result


def display_name(procedure, memo: dict | None = None) -> str:
    """The procedure's name as the catalogue shows it in the active language: English only when the procedure
    reads wholly in English. ``memo``, a dict kept for one request, decides each procedure's language once for
    a list of rows (deciding reads its whole form)."""
    if memo is None:
        return text(procedure, "name", content_language(procedure))
    key = procedure.pk
    if key not in memo:
        memo[key] = content_language(procedure)
    return text(procedure, "name", memo[key])

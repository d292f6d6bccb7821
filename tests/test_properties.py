"""Property tests (hypothesis): the applicant's form against the procedures' JSON Schemas, dossier codes,
and the working-day calendar. Derandomized, so a failure is found again on the next run.
"""
import json
import re
import string
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker

from onestop.deadlines import working_days
from onestop.deadlines.models import CalendarDay
from onestop.dossiers.codes import issue_code
from onestop.dossiers.forms import form_errors
from onestop.organisation.models import Agency
from onestop.web.schema_forms import SchemaForm

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = json.loads((ROOT / "bpmn" / "catalogue.json").read_text(encoding="utf-8"))
SCHEMAS = {p["code"]: p["form_schema"] for p in CATALOGUE["procedures"]}
PROPERTIES = settings(max_examples=150, derandomize=True, database=None, deadline=None,
                      suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
DB_PROPERTIES = settings(PROPERTIES, max_examples=60)

# --- form data against the JSON Schemas -----------------------------------------------------------------

# Text as people type it: Vietnamese letters, digits, punctuation, inner spaces; no surrounding spaces
# (the page trims them) and no control characters.
LETTERS = string.ascii_letters + string.digits + "ăâđêôơưáàảãạấầẩẫậếềểễệốồổỗộớờởỡợúùủũụứừửữựíìỉĩịýỳỷỹỵ,./-()"
WORD = st.text(alphabet=LETTERS, min_size=1, max_size=12)


def _text(spec):
    low, high = spec.get("minLength", 0), spec.get("maxLength", 60)
    words = st.lists(WORD, min_size=1, max_size=8).map(" ".join)
    return words.map(lambda t: t[:high].strip()).filter(lambda t: low <= len(t) <= high and t)


def valid_value(spec):
    """A value the field's schema accepts (the subset the procedures use and SchemaForm renders)."""
    if "enum" in spec:
        return st.sampled_from(spec["enum"])
    options = spec.get("oneOf") or spec.get("anyOf") or []
    if options and all(isinstance(o, dict) and "const" in o for o in options):  # choices with their labels
        return st.sampled_from([o["const"] for o in options])
    kind = spec.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(spec.get("minimum", -10**12), spec.get("maximum", 10**12))
    if kind == "number":
        low = spec.get("minimum", spec.get("exclusiveMinimum", -1e9))
        return st.floats(low, spec.get("maximum", 1e9), allow_nan=False, allow_infinity=False,
                         exclude_min="exclusiveMinimum" in spec)
    if spec.get("format") == "date":
        return st.dates(date(1900, 1, 1), date(2100, 12, 31)).map(date.isoformat)
    if "pattern" in spec:
        return st.from_regex(spec["pattern"].replace("$", r"\Z"), fullmatch=False)
    return _text(spec)


@st.composite
def valid_form(draw, schema):
    required = set(schema.get("required", []))
    data = {}
    for name, spec in schema["properties"].items():
        if name in required or draw(st.booleans()):
            data[name] = draw(valid_value(spec))
    return data


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                    max_leaves=8)


def hostile_form(schema):
    """Dictionaries with the schema's field names and others, holding any JSON at all."""
    names = st.sampled_from(sorted(schema["properties"])) | st.text(max_size=8)
    return st.dictionaries(names, JSON | st.text() | st.from_regex(r"\A[0-9]{12}\n\Z"), max_size=10)


@pytest.mark.parametrize("code", sorted(SCHEMAS))
def test_the_form_check_accepts_every_form_the_schema_accepts(code):
    schema = SCHEMAS[code]

    @PROPERTIES
    @given(valid_form(schema))
    def check(data):
        assert Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(data)
        assert form_errors(schema, data) == {}

    check()


@pytest.mark.parametrize("code", sorted(SCHEMAS))
def test_the_form_check_never_raises_and_refuses_what_the_schema_refuses(code):
    schema = SCHEMAS[code]
    stock = Draft202012Validator(schema, format_checker=FormatChecker())

    @PROPERTIES
    @given(st.one_of(hostile_form(schema), JSON))
    @example({"mother_id_number": "079190000003\n"})
    @example({"child_full_name": "Nguyễn\x00"})
    def check(data):
        errors = form_errors(schema, data)
        assert isinstance(errors, dict)
        assert all(isinstance(k, str) and v and all(isinstance(m, str) and m for m in v) for k, v in errors.items())
        if not stock.is_valid(data):
            assert errors, data
        for name, value in (data.items() if isinstance(data, dict) else ()):
            if name.replace("\x00", "") in errors or "__all__" in errors:
                continue
            # a field accepted can be stored (PostgreSQL refuses NUL) and matches its pattern as a whole
            assert "\x00" not in json.dumps(value, ensure_ascii=False) + name
            pattern = schema["properties"].get(name, {}).get("pattern")
            if pattern and isinstance(value, str):
                assert re.fullmatch(pattern.removeprefix("^").removesuffix("$"), value), value
        # Each message is put next to a field the form has or sent, or on the form as a whole.
        assert set(errors) <= set(schema["properties"]) | set(map(str, data if isinstance(data, dict) else ())) \
            | {"__all__"} | {str(k).replace("\x00", "") for k in (data if isinstance(data, dict) else ())}

    check()


def test_an_id_number_with_a_trailing_newline_or_a_nul_is_refused():
    """Found by the property above: Python's ``$`` matched before a final newline, and a NUL passed the
    schema, then PostgreSQL refused to store it (a 500)."""
    schema = SCHEMAS["1.001193"]
    assert form_errors(schema, {"mother_id_number": "079190000003\n"})["mother_id_number"]
    assert form_errors(schema, {"child_full_name": "Minh\x00Khôi"})["child_full_name"]
    assert "mother_id_number" not in form_errors(schema, {"mother_id_number": "079190000003"})


def _as_post(schema, data, day_first):
    """What a browser sends for ``data`` through the SchemaForm's inputs."""
    post = {}
    for name, value in data.items():
        spec = schema["properties"][name]
        if isinstance(value, bool):
            if value:
                post[name] = "on"
        elif spec.get("format") == "date" and day_first:
            post[name] = date.fromisoformat(value).strftime("%d/%m/%Y")
        else:
            post[name] = str(value)
    return post


@pytest.mark.parametrize("code", sorted(SCHEMAS))
def test_the_portal_form_agrees_with_the_form_check(code):
    """A valid form typed into the portal's page comes out as the same JSON, accepted; any text typed at
    all is accepted by the page exactly when the API's check accepts what the page made of it."""
    schema = SCHEMAS[code]
    posts = st.dictionaries(st.sampled_from(sorted(schema["properties"])), st.text(max_size=20), max_size=10)

    @PROPERTIES
    @given(valid_form(schema), st.booleans(), posts)
    def check(data, day_first, typed):
        form = SchemaForm(schema, data=_as_post(schema, data, day_first))
        assert form.is_valid(), form.errors
        assert form.cleaned_data == data
        form = SchemaForm(schema, data=typed)
        assert form.is_valid() == (form_errors(schema, form.json_data()) == {})

    check()


# --- dossier codes ----------------------------------------------------------------------------------------

CODE = re.compile(r"\A(?P<agency>.+)-(?P<day>[0-9]{6})-(?P<number>[0-9]{4,})\Z")


def parse_code(code):
    match = CODE.match(code)
    return match["agency"], date(2000 + int(match["day"][:2]), int(match["day"][2:4]), int(match["day"][4:])), \
        int(match["number"])


@pytest.mark.django_db
def test_codes_are_unique_per_agency_and_day_and_parse_back():
    national = st.from_regex(r"\A[A-Z][0-9]{2}(\.[0-9]{2}){0,3}\Z")
    agencies = st.lists(st.tuples(st.from_regex(r"\A[a-z][a-z0-9-]{0,15}\Z"), st.none() | national),
                        min_size=1, max_size=3, unique_by=(lambda a: a[0], lambda a: a[1] or a[0]))
    days = st.dates(date(2000, 1, 1), date(2099, 12, 31))

    @DB_PROPERTIES
    @given(agencies, st.lists(st.tuples(st.integers(0, 2), days), min_size=1, max_size=25))
    def check(made, requests):
        with transaction.atomic():
            rows = [Agency.objects.create(code=code, name=code, level="ward", national_id=nid) for code, nid in made]
            issued = {}
            for index, day in requests:
                agency = rows[index % len(rows)]
                code = issue_code(agency, day)
                assert code not in issued, code
                issued[code] = (agency.identifier, day)
            for code, (identifier, day) in issued.items():
                assert parse_code(code)[:2] == (identifier, day)
            # Within one agency and day the numbers run 1, 2, 3... without a gap.
            for identifier, day in set(issued.values()):
                numbers = sorted(parse_code(c)[2] for c, v in issued.items() if v == (identifier, day))
                assert numbers == list(range(1, len(numbers) + 1))
            transaction.set_rollback(True)

    check()


# --- the working-day calendar ------------------------------------------------------------------------------

DAYS = st.dates(date(2024, 1, 1), date(2029, 12, 31))


@st.composite
def declared_days(draw):
    """Days an admin declares off and Saturdays declared working days, around the dates the tests use."""
    off = draw(st.lists(DAYS, max_size=8, unique=True))
    saturdays = draw(st.lists(DAYS.map(lambda d: d + timedelta(days=(5 - d.weekday()) % 7)), max_size=4, unique=True))
    return {d: CalendarDay.Kind.DAY_OFF for d in off} | {d: CalendarDay.Kind.WORKING_DAY for d in saturdays}


def _declare(days):
    """Declare ``days`` (rolled back with the example's transaction). The calendar is kept per process
    (``refcache``) and ``bulk_create`` sends no signal: each example starts from an empty cache."""
    from onestop.core import refcache

    refcache.clear_all()
    CalendarDay.objects.bulk_create([CalendarDay(date=d, kind=k, name="test") for d, k in days.items()])


@pytest.mark.django_db
def test_adding_working_days():
    @DB_PROPERTIES
    @given(declared_days(), DAYS, st.integers(0, 400), st.integers(0, 400))
    # Found: 800 working days ran past the three years of declared days the calendar had read.
    @example({date(2028, 3, 1): CalendarDay.Kind.DAY_OFF}, date(2025, 1, 2), 800, 0)
    def check(declared, start, n, m):
        with transaction.atomic():
            _declare(declared)
            end = working_days.add_working_days(start, n)
            assert working_days.is_working_day(end)
            assert declared.get(end) != CalendarDay.Kind.DAY_OFF
            if n == 0:
                assert end >= start and all(not working_days.is_working_day(start + timedelta(days=k))
                                            for k in range((end - start).days))
            else:
                assert end > start
                # the inverse: counting the working days from start to end gives n back
                assert working_days.working_days_between(start, end) == n
            # monotone in n and in the start date
            assert working_days.add_working_days(start, n + m) >= end
            assert working_days.add_working_days(start + timedelta(days=m % 10), n) >= end
            transaction.set_rollback(True)

    check()


@pytest.mark.django_db
def test_previous_working_day_and_next_are_inverse():
    @DB_PROPERTIES
    @given(declared_days(), DAYS)
    def check(declared, day):
        with transaction.atomic():
            _declare(declared)
            before = working_days.previous_working_day(day)
            assert before < day and working_days.is_working_day(before)
            after = working_days.add_working_days(before, 1)
            assert after >= day and (after == day) == working_days.is_working_day(day)
            transaction.set_rollback(True)

    check()

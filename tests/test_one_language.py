"""One language per page: every HTML page the project routes, asked by each role that may see it, in Vietnamese
and in English, shows no text of the other language.

- An English page has no Vietnamese letter (ă â đ ê ô ơ ư or a tone mark) outside content that is Vietnamese by
  nature: people's names and addresses, agency names without an English one, what people typed into a dossier,
  and what sits in an element marked ``lang="vi"`` (a procedure's own content without English texts, said once).
- A Vietnamese page shows no translated message in English (the msgid of a translated string of two words or
  more, ours or Django's), and no word that is English rather than an unmarked Vietnamese syllable (outside
  ``lang="en"`` elements and the allowlist below).

The URLs, roles and objects are the permission matrix's (tests/matrix.py, tests/test_permission_matrix.py):
a URL is asked by the roles whose GET is ``ok``. Django's REST framework's browsable pages are left out: their
body is the API's JSON (data, not interface), and the API's own words are checked by the API's tests.
"""
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.utils.translation import trans_real
from lxml import html as lxml_html

from tests.matrix import ROLES, Asker, routes, url_for
from tests.test_permission_matrix import MATRIX, PROBES, admin_entries, world  # noqa: F401 (the fixture)

LANGUAGES = ("vi", "en")

# Letters only Vietnamese uses here: the marked vowels and đ (both cases).
VIETNAMESE_LETTERS = re.compile(
    "[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
    "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ]")
# A Vietnamese syllable written without marks: an initial consonant, vowels, a final consonant.
SYLLABLE = re.compile(r"(?i)(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(ch|ng|nh|[cmnpt])?")

# Words a Vietnamese page may show that are not Vietnamese syllables, each with its reason.
VIETNAMESE_PAGE_WORDS = {
    "onestop": "the product's name",
    "Email": "the Vietnamese word for e-mail", "email": "the Vietnamese word for e-mail",
    "Zalo": "a messaging service's name",
    "BPMN": "the name of the diagram standard", "XML": "a file format", "JSON": "a file format",
    "PDF": "a file format", "CSV": "a file format", "Excel": "a program's name", "XLSX": "a file format",
    "QR": "the QR code", "API": "the technical interface's usual name", "Swagger": "the API page's tool",
    "SHA": "the checksum's name", "OpenAPI": "the API description's standard",
    "CCCD": "Vietnamese abbreviation", "UBND": "Vietnamese abbreviation", "HĐND": "Vietnamese abbreviation",
    "CP": "Vietnamese abbreviation (Nghị định ... /NĐ-CP)", "TTg": "Vietnamese abbreviation (Thủ tướng)",
    "VNeID": "the national electronic ID application's name",
    "admin": "the administrator's demo username",
    "web": "Vietnamese loanword (trang web), as Django's own Vietnamese says", "Menu": "Vietnamese loanword",
    "byte": "Vietnamese loanword, as Django's file sizes say it",
    "Camunda": "a BPMN modeller's name", "Modeler": "part of the name Camunda Modeler",
    "Forms": "part of the name Camunda Forms", "SpiffArena": "a BPMN modeller's name",
    "Axes": "django-axes's app, which has a label but no name to translate",
}


# What a page may show of the other language: (language of the page, URL pattern, the text, why).
ALLOWED = [
    ("en", r"", r"\d+/(\d+/)?(NĐ-CP|QĐ-TTg)", "a legal document's number is its name (Decree 118/2025/NĐ-CP)"),
    # Django's own admin.
    ("vi", r"^/admin/auth/(group/add|group/\d+/change|user/\d+/change)/$", r"[\w -]+",
     "permission names: Django stores them in English when it creates them (auth.Permission.name)"),
    ("vi", r"^/admin/auth/user/\d+/password/$", r"If|disabled|the|current|password|for|this|user|will",
     "Django joins this help text when it is imported, the second half untranslated"),
    ("vi", r"^/admin/auth/user/\d+/delete/$", r"Dossier|stopped", "related records, named as stored"),
    ("en", r"^/admin/auth/user/\d+/password/$", r"\S+", "Django joins this help text when it is imported, in the "
     "language of the moment (here Vietnamese)"),
    ("vi", r"^/admin/axes/accesslog/", r"Access|Log|for|unknown", "django-axes names its records in English"),
    (r"vi|en", r"^/admin/axes/accesslog/", r"\d\d:\d\d:\d\d\.\d+\+00:00",
     "django-axes names its records by their UTC time (AccessLog.__str__); the columns show Vietnamese time"),
    # Records named by their stored codes: dossier events and hand-over results, message templates and states,
    # services of the national portal, registers, operators, peers.
    ("vi", r"^/admin/dossiers/", r"submitted|None|stopped|processing", "a dossier event's stored action and statuses"),
    ("en", r"^/admin/dossiers/dossier/\d+/change/", r"Nộp|trực|tuyến", "a hand-over's result as stored"),
    ("vi", r"^/admin/deadlines/calendaryear/load/", r"date|kind|name", "the CSV file's column names"),
    ("vi", r"^/admin/(notifications|nationalportal)/", r"received|extended|refused|processing|dstcode|DongBoHoSoMC",
     "codes of message templates, statuses and the portal's services; the portal's field name dstcode"),
    ("vi", r"^/admin/interop/", r"birth|ms|null|population", "codes of registers and peers; milliseconds; JSON null"),
    ("vi", r"^/admin/organisation/", r"hcm|tn|User|district|receiving|ward|commune", "codes; the user field's label"),
    ("vi", r"^/admin/procedures/", r"camunda|published|uploaded", "codes of a dialect and of catalogue actions"),
    ("vi", r"^/admin/engine/", r"issued|refused|completed", "a process's outcome as its BPMN end event names it"),
    ("vi", r"^/admin/", r"False|True|Control|Command|salt",
     "Python's booleans in a column; keyboard keys; Django's Vietnamese for a password's salt"),
]

def _catalogue_msgids():
    """English texts that have a Vietnamese translation (ours, the vendored third-party ones, Django's and its
    apps'): only texts of two words or more (a single word may be a Vietnamese one, or a code)."""
    catalog = trans_real.translation("vi")._catalog
    texts = set()
    for key in catalog.keys():
        msgid = key[0] if isinstance(key, tuple) else key
        msgid = msgid.split("\x04")[-1]  # without its context
        translated = catalog.get(key)
        if not translated or translated == msgid:
            continue
        # Keep the fixed parts around placeholders (``%(name)s``, ``{name}``, ``%s``).
        for part in re.split(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|\n", msgid):
            part = part.strip(" .:,;()-–—")
            if len(part.split()) >= 2 and re.search("[A-Za-z]{3}", part):
                texts.add(part)
    return sorted(texts, key=len, reverse=True)


def _data_texts():
    """Texts Vietnamese by nature that a page of either language shows as they are: people's names and
    addresses, what they entered into dossiers and steps, the proper names of agencies and their systems, and a
    procedure's own content (its name, field, fee note, documents and form: English texts for these are
    optional data, and a page missing them says so once)."""
    from onestop.dossiers.models import Attachment, Dossier, DossierEvent, Incident, Rating
    from onestop.interop.models import Exchange, Peer
    from onestop.notifications.models import Notification
    from onestop.organisation.models import Agency, Citizen
    from onestop.worklist.models import WorkItem
    from procedures.models import Procedure

    texts = set()

    def add(value, labels=False):
        """``labels``: the value holds a step's labels, of which a "Tiếng Việt / English" one is no data (a
        page shows the half in its language)."""
        if isinstance(value, str):
            if VIETNAMESE_LETTERS.search(value) and not (labels and " / " in value):
                texts.add(value.strip())
        elif isinstance(value, dict):
            for item in value.values():
                add(item, labels)
        elif isinstance(value, list | tuple):
            for item in value:
                add(item, labels)

    for user in get_user_model().objects.all():
        add([user.first_name, user.last_name, user.get_full_name()])
    for citizen in Citizen.objects.all():
        add([citizen.full_name, citizen.address])
    add(list(Agency.objects.values_list("name", flat=True)))
    add(list(Peer.objects.values_list("name", flat=True)))
    add([name for name, name_en in Procedure.objects.values_list("name", "name_en") if not name_en])
    add(list(Procedure.objects.values_list("documents", "form_schema")))
    for dossier in Dossier.objects.all():
        add(dossier.form_data)
    add(list(DossierEvent.objects.values_list("comment", flat=True)))
    add(list(WorkItem.objects.values_list("comment", "data")))
    add(list(WorkItem.objects.values_list("form", flat=True)), labels=True)  # a step's form is the procedure's
    add(list(Notification.objects.values_list("subject", "body")))  # a message as it was sent
    add(list(Incident.objects.values_list("comment", flat=True)))
    add(list(Rating.objects.values_list("comment", flat=True)))
    add(list(Attachment.objects.values_list("original_name", flat=True)))
    add(list(Exchange.objects.values_list("params", "result")))  # what another agency's system holds
    return sorted(texts, key=len, reverse=True)


# Not text in a language: scripts and styles, and identifiers shown as code (a BPMN dialect, a process id).
SKIPPED_TAGS = {"script", "style", "template", "noscript", "code", "kbd", "samp"}


def visible_text(page: str, outside: str) -> str:
    """The text a person sees (and the labels a screen reader reads), leaving out elements marked as the
    ``outside`` language."""
    root = lxml_html.fromstring(page)
    chunks = []

    def walk(element, language):
        if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS:
            return
        language = (element.get("lang") or language).split("-")[0].lower()
        if language != outside:
            chunks.append(element.text or "")
            for name in ("placeholder", "aria-label", "title", "alt"):
                if element.get(name):
                    chunks.append(element.get(name))
            if element.tag == "input" and element.get("type") in ("submit", "button") and element.get("value"):
                chunks.append(element.get("value"))
        for child in element:
            walk(child, language)
            if language != outside:
                chunks.append(child.tail or "")

    walk(root, root.get("lang") or "")
    return re.sub(r"\s+", " ", " ".join(chunks))


def _context(text, start, end, width=60):
    return "…" + text[max(0, start - width):end + width] + "…"


def without_data(text, data=()):
    """The text without what people entered (``data``) and without JSON shown as it is stored (an admin's
    read-only view of a payload)."""
    for value in data:
        text = text.replace(re.sub(r"\s+", " ", value), " ")  # spaced as visible_text spaces it
    previous = None
    while previous != text:
        previous, text = text, re.sub(r"[{\[][^{}\[\]]*[}\]]", " ", text)
    return text


def english_on_a_vietnamese_page(text, msgids):
    """(what, offending text, context) for each English text."""
    found = []
    for msgid in msgids:
        for match in re.finditer(rf"(?<![\w-]){re.escape(msgid)}(?![\w-])", text):
            found.append(("untranslated", msgid, _context(text, match.start(), match.end())))
    words = set()
    for match in re.finditer(r"(?<![\w./:@#%-])[A-Za-z]{2,}(?![\w./:@%-])", text):
        word = match.group()
        if word in VIETNAMESE_PAGE_WORDS or SYLLABLE.fullmatch(word) or word.isupper() and len(word) <= 5:
            continue
        if word not in words:
            words.add(word)
            found.append(("English word", word, _context(text, match.start(), match.end())))
    return found


def vietnamese_on_an_english_page(text):
    return [("Vietnamese", match.group(), _context(text, match.start(), match.end()))
            for match in re.finditer(rf"[\w/-]*{VIETNAMESE_LETTERS.pattern}[\w/-]*", text)]


def admin_data():
    """What Django's admin shows as it is stored, in whichever language it was written: steps' and lanes' names
    from the BPMN files ("Tiếng Việt / English"), messages as they were sent, incidents' messages, routing
    roles' names, the texts of stored events."""
    from onestop.dossiers.models import Handover, Incident
    from onestop.interop.models import Exchange, PersonalDataRead
    from onestop.notifications.models import Notification
    from onestop.organisation.models import RoutingRole
    from procedures.models import Procedure

    texts = set()
    for rows in (Incident.objects.values_list("element_name", "message"), Exchange.objects.values_list(
            "task_name", "lane"), PersonalDataRead.objects.values_list("step"),
            Notification.objects.values_list("subject", "body"), RoutingRole.objects.values_list("name"),
            Handover.objects.values_list("result"), Procedure.objects.values_list("name", "field")):
        for row in rows:
            texts.update(value.strip() for value in row if value and value.strip())
    # The halves too: a long text is cut short in lists and titles.
    texts.update(half.strip() for text in list(texts) for half in text.split(" / ") if len(half.strip()) > 3)
    return sorted(texts, key=len, reverse=True)


UTC_TIME = re.compile(r"\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?(\+00:00|Z)\b|\bUTC\b")


def times_in_utc(text):
    """Times shown in UTC (every time a person reads is in Asia/Ho_Chi_Minh)."""
    return [("time in UTC", match.group(), _context(text, match.start(), match.end()))
            for match in UTC_TIME.finditer(text)]


def allowed(language, url, text):
    return any(re.fullmatch(entry[0], language) and re.search(entry[1], url) and re.fullmatch(entry[2], text)
               for entry in ALLOWED)


def pages(objects):
    """(URL, the roles that may GET it) for every routed page."""
    rows = {**MATRIX, **admin_entries()}
    for route in routes():
        row = rows[route.key]
        if "GET" not in row.methods or route.route.startswith("api/"):
            continue
        url = url_for(route, row.params, objects)
        url = f"{url}?{row.query}" if row.query else url
        yield url, [role for role in ROLES if row.methods["GET"][role] == "ok"]
    for probe, row in PROBES.items():
        yield probe, [role for role in ROLES if row.methods["GET"][role] == "ok"]


def test_every_page_speaks_one_language(world, db):  # noqa: F811 (the fixture imported above)
    asker = Asker()
    msgids = _catalogue_msgids()
    data = _data_texts()
    in_admin = admin_data()
    both = sorted({*in_admin, *data}, key=len, reverse=True) or data
    wrong = []
    seen = set()  # one line per URL, language and text (the first role that met it)
    walked, urls = 0, set()
    started = time.process_time()
    for url, roles in pages(world):
        for role in roles:
            for language in LANGUAGES:
                response = asker.ask(role, "GET", url, language=language)
                if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
                    continue
                walked += 1
                urls.add(url)
                page = response.content.decode()
                stored = in_admin if url.startswith("/admin/") else []
                if language == "vi":
                    problems = english_on_a_vietnamese_page(without_data(visible_text(page, "en"), stored), msgids)
                else:
                    problems = vietnamese_on_an_english_page(
                        without_data(visible_text(page, "vi"), both if stored else data))
                problems += times_in_utc(visible_text(page, ""))
                for what, text, context in problems:
                    if not allowed(language, url, text) and (url, language, text) not in seen:
                        seen.add((url, language, text))
                        wrong.append(f"{url} as {role} in {language}: {what} {text!r}: {context}")
    print(f"\none language: {walked} pages walked ({len(urls)} URLs), {asker.count} requests, "
          f"{time.process_time() - started:.1f} s of CPU")
    assert walked > 100
    assert not wrong, "\n".join(["text of the other language:", *wrong])


@pytest.mark.parametrize("text, found", [
    ("Tiếp nhận hồ sơ / Receive the dossier", ["Receive", "dossier"]),
    ("Đồng ý / Approve", ["Approve"]),
    ("Hồ sơ 000.00.01.H29-261206-0001 của Nguyễn Van Anh, tệp giay-chung-sinh.pdf, onestop", []),
])
def test_english_words_are_found_on_a_vietnamese_page(text, found):
    assert [problem[1] for problem in english_on_a_vietnamese_page(text, [])] == found


def test_marked_content_is_left_out():
    page = '<html lang="en"><body><p>Fee</p><div lang="vi">Lệ phí: không</div><p>Phí</p><script>"ă"</script>'
    assert visible_text(page, "vi").split() == ["Fee", "Phí"]
    assert [problem[1] for problem in vietnamese_on_an_english_page("Fee Phí")] == ["Phí"]
    assert without_data('Fee {"a": ["Phí"]} of Nguyễn Văn An', ["Nguyễn Văn An"]).split() == ["Fee", "of"]


def test_seed_demo_prints_in_one_language(db):
    """The command line too: ``seed_demo`` speaks Vietnamese by default, English with ``--lang en``."""
    from io import StringIO

    from django.core.management import call_command

    printed = {}
    for language in LANGUAGES:
        out = StringIO()
        call_command("seed_demo", lang=language, stdout=out)
        printed[language] = out.getvalue()
    assert "Đã nạp dữ liệu mẫu" in printed["vi"] and "Chuyên viên @ q1-bennghe" in printed["vi"]
    assert not english_on_a_vietnamese_page(without_data(printed["vi"]), _catalogue_msgids())
    assert "Demo data loaded" in printed["en"] and "Specialist @ q1-bennghe" in printed["en"]
    assert not vietnamese_on_an_english_page(printed["en"])


def test_times_in_utc_are_found():
    assert [p[1] for p in times_in_utc("Lúc 07:20:19.013+00:00; 14:20 ngày 06/12/2026; 2026-12-06T07:20Z; 3 UTC")] == [
        "07:20:19.013+00:00", "07:20Z", "UTC"]

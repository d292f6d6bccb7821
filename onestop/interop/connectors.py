"""The connector layer: the only code that calls another agency's system.

An operator has a parameter schema and either a peer call (a signed HTTP request to a ``Peer``)
or a local function. ``call`` returns an ``Outcome``: a result, a failure worth retrying (timeouts,
connection errors, 5xx) or a final failure (bad parameters, 4xx, a signature that does not verify).
"""
import json
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from jsonschema import Draft202012Validator

from . import signing
from .models import Peer, RegisterBook, RestConnector
from .platform import PlatformConnector

ID_NUMBER = {"type": "string", "pattern": "^[0-9]{12}$"}


@dataclass
class Outcome:
    result: dict | None = None
    retry: bool = False
    error: str = ""
    http_status: int | None = None
    request_id: str = ""
    request_digest: str = ""
    response_digest: str = ""
    response_body: str = ""
    duration_ms: int = 0


@dataclass(frozen=True)
class Operator:
    name: str
    params_schema: dict
    peer: str = ""  # Peer.code for remote operators
    method: str = "GET"
    path: object = None  # params -> path with query string
    parse: object = None  # (status, answer) -> result dict, or None when the status is a failure
    local: object = None  # (params, exchange) -> result dict, for work done on our own data
    description: str = field(default="", compare=False)
    # Data protection (Decree 13/2023/NĐ-CP), read by ``privacy``: whose record the answer is (the parameter or
    # the answer field holding that person's ID number) and which answer fields are about them (None: all).
    # Officials of the agencies holding the dossier see the whole answer; its applicant sees the personal
    # fields only when they are that person.
    subject_param: str = ""
    subject_field: str = ""
    personal_fields: tuple | None = None
    # What people read (officials' pages, the applicant's history): the operator's title, whether it records
    # something in a register (True) rather than looks a paper up, and the labels of its answer's fields.
    title: str = field(default="", compare=False)
    title_en: str = field(default="", compare=False)
    records: bool = False
    labels: dict = field(default_factory=dict, compare=False)  # answer field -> (Vietnamese, English)


def _found_or_missing(status, answer):
    """Lookups: 404 is an answer ("no such record"), not a failure."""
    if status == 200:
        return {"found": True, **answer}
    if status == 404:
        return {"found": False}
    return None


def register_birth(params, exchange):
    """Enter the birth in the receiving agency's birth register: the next number of the year."""
    agency = exchange.dossier.receiving_agency
    year = timezone.localdate().year
    book, _created = RegisterBook.objects.select_for_update().get_or_create(agency=agency, book="birth", year=year)
    book.last += 1
    book.save(update_fields=["last"])
    return {"register_number": f"{book.last}/{year}", "register_book": f"Sổ đăng ký khai sinh {year}"}


BUILT_IN = {
    op.name: op
    for op in [
        Operator(
            "population.lookup_citizen", peer="population",
            params_schema={"type": "object", "required": ["id_number"], "properties": {"id_number": ID_NUMBER}},
            path=lambda p: f"/population/citizens/{quote(p['id_number'])}", parse=_found_or_missing,
            description="A citizen's record in the national population database, by ID number.",
            subject_param="id_number", personal_fields=None,
            title="Tra cứu công dân (Cơ sở dữ liệu quốc gia về dân cư)",
            title_en="Citizen lookup (national population database)",
            labels={"found": ("Tìm thấy", "Found"), "full_name": ("Họ và tên", "Full name"),
                    "id_number": ("Số định danh cá nhân", "ID number"),
                    "birth_date": ("Ngày sinh", "Date of birth"), "sex": ("Giới tính", "Sex"),
                    "permanent_address": ("Nơi thường trú", "Permanent address"),
                    "household_id": ("Mã hộ", "Household"), "household_head": ("Chủ hộ", "Household head"),
                    "household_head_id_number": ("Số định danh chủ hộ", "Household head's ID number"),
                    "relationship_to_head": ("Quan hệ với chủ hộ", "Relationship to the head")},
        ),
        Operator(
            "business_registry.lookup_household", peer="business_registry",
            params_schema={"type": "object", "required": ["owner_id_number"],
                           "properties": {"owner_id_number": ID_NUMBER}},
            path=lambda p: "/business-registry/households?" + urlencode({"owner_id_number": p["owner_id_number"]}),
            parse=lambda status, answer: answer if status == 200 else None,
            description="The business households registered to an owner.",
            subject_param="owner_id_number", personal_fields=None,
            title="Tra cứu hộ kinh doanh (Hệ thống đăng ký hộ kinh doanh)",
            title_en="Business household lookup (business registry)",
            labels={"owner_id_number": ("Số định danh chủ hộ kinh doanh", "Owner's ID number")},
        ),
        Operator(
            "land_registry.parcel_info", peer="land_registry",
            params_schema={"type": "object", "required": ["map_sheet", "parcel_number"],
                           "properties": {"map_sheet": {"type": "string", "minLength": 1},
                                          "parcel_number": {"type": "string", "minLength": 1}}},
            path=lambda p: f"/land-registry/parcels/{quote(p['map_sheet'])}/{quote(p['parcel_number'])}",
            parse=_found_or_missing,
            description="A land parcel: address, area, use, owner, certificate.",
            subject_field="owner_id_number",
            personal_fields=("owner_full_name", "owner_id_number", "certificate_no", "encumbrances"),
            title="Tra cứu thửa đất (Cơ sở dữ liệu đất đai)", title_en="Land parcel lookup (land registry)",
            labels={"found": ("Tìm thấy", "Found"), "address": ("Địa chỉ", "Address"),
                    "map_sheet": ("Tờ bản đồ số", "Map sheet"), "parcel_number": ("Thửa đất số", "Parcel"),
                    "area_m2": ("Diện tích (m²)", "Area (m²)"), "land_use_type": ("Loại đất", "Land use code"),
                    "land_use_type_name": ("Mục đích sử dụng", "Land use"),
                    "owner_full_name": ("Người sử dụng đất", "Land user"),
                    "owner_id_number": ("Số định danh người sử dụng đất", "Land user's ID number"),
                    "certificate_no": ("Số giấy chứng nhận", "Certificate number"),
                    "encumbrances": ("Hạn chế quyền", "Encumbrances")},
        ),
        Operator(
            "civil_status.register_birth",
            params_schema={"type": "object", "required": ["child_full_name"],
                           "properties": {"child_full_name": {"type": "string", "minLength": 1}}},
            local=register_birth,
            description="The next number in the agency's own birth register.",
            personal_fields=(),
            title="Ghi vào sổ đăng ký khai sinh", title_en="Entry in the birth register", records=True,
            labels={"register_number": ("Số đăng ký", "Register number"),
                    "register_book": ("Sổ đăng ký", "Register book")},
        ),
    ]
}


def _dig(answer, dotted):
    for part in dotted.split("."):
        answer = answer[int(part)] if isinstance(answer, list) else answer[part]
    return answer


def _from_rest_connector(connector):
    def parse(status, answer):
        if status != 200:
            return None
        if not connector.response_mapping:
            return answer
        try:
            return {name: _dig(answer, path) for name, path in connector.response_mapping.items()}
        except (KeyError, IndexError, ValueError, TypeError):
            return None

    personal = connector.personal_fields
    return Operator(
        connector.operator, params_schema=connector.params_schema or {"type": "object"},
        peer=connector.peer.code, method=connector.method,
        path=lambda p: connector.path_template.format(**{k: quote(str(v)) for k, v in p.items()}), parse=parse,
        subject_param=connector.subject_param, subject_field=connector.subject_field,
        personal_fields=tuple(personal) if isinstance(personal, list) and personal else None,
    )


def operator_title(name: str, language: str = "vi") -> str:
    """What people call the operator ``name`` (its own name when it has no title)."""
    operator = BUILT_IN.get(name)
    if operator is None or not operator.title:
        return name
    return operator.title_en if language == "en" and operator.title_en else operator.title


def records_in_register(name: str) -> bool:
    """Whether the operator ``name`` writes into a register rather than looks a paper up."""
    operator = BUILT_IN.get(name)
    return bool(operator and operator.records)


def answer_lines(name: str, result: dict, language: str = "vi") -> list[str]:
    """An answer as people read it: "label: value" for its plain fields, yes/no in words, in ``language``."""
    operator = BUILT_IN.get(name)
    labels = operator.labels if operator else {}
    yes, no = ("Yes", "No") if language == "en" else ("Có", "Không")
    lines = []
    for key, value in (result or {}).items():
        if not isinstance(value, str | int | float | bool):
            continue
        label = labels.get(key, (key.replace("_", " "),) * 2)[1 if language == "en" else 0]
        text = (yes if value else no) if isinstance(value, bool) else str(value)
        lines.append(f"{label}: {text}")
    return lines


def get_operator(name):
    if name in BUILT_IN:
        return BUILT_IN[name]
    connector = RestConnector.objects.select_related("peer").filter(operator=name).first()
    return _from_rest_connector(connector) if connector else None


def known_operators():
    return sorted(set(BUILT_IN) | set(RestConnector.objects.values_list("operator", flat=True)))


def check_params(operator, params):
    """Problems with the parameters, as sentences; empty when they fit the operator's schema."""
    return [e.message for e in Draft202012Validator(operator.params_schema).iter_errors(params)]


def run_local(operator, params, exchange):
    """Local work runs inside the caller's transaction, under the exchange's row lock: exactly once."""
    with transaction.atomic():
        return Outcome(result=operator.local(params, exchange))


def call_peer(operator, params, exchange):
    """One signed HTTP attempt. Never raises for the peer's sake: every answer becomes an Outcome."""
    try:
        peer = Peer.objects.select_related("platform").get(code=operator.peer, is_active=True)
    except Peer.DoesNotExist:
        return Outcome(error=f"No active peer system “{operator.peer}” is configured.")
    body = b"" if operator.method == "GET" else json.dumps(params, ensure_ascii=False).encode("utf-8")
    if peer.platform is not None and peer.platform.is_active:  # routed through the city's platform (data)
        outcome, response = PlatformConnector(peer).call(operator, params, exchange, body)
        return outcome if response is None else _read_answer(operator, peer, outcome, response)
    path = operator.path(params)
    request_id = str(uuid.uuid4())
    secret = peer.get_secret()
    headers = signing.sign_request(
        operator.method, path, body, key_id=peer.key_id, secret=secret, client=settings.ONESTOP_CLIENT_ID,
        request_id=request_id, idempotency_key=str(exchange.idempotency_key),
        user=exchange.acting_user.get_username() if exchange.acting_user_id else "system", issue=exchange.dossier.code,
    )
    if body:
        headers["Content-Type"] = "application/json"
    outcome = Outcome(request_id=request_id, request_digest=signing.digest(body))
    started = time.monotonic()
    try:
        response = requests.request(operator.method, peer.base_url.rstrip("/") + path, data=body or None,
                                    headers=headers, timeout=(peer.connect_timeout, peer.read_timeout),
                                    allow_redirects=False)
    except requests.Timeout:
        outcome.retry, outcome.error = True, f"{peer.name}: no answer within the time limit"
    except requests.ConnectionError as exc:
        outcome.retry, outcome.error = True, f"{peer.name}: connection failed ({type(exc).__name__})"
    outcome.duration_ms = int((time.monotonic() - started) * 1000)
    if outcome.error:
        return outcome
    outcome.http_status = response.status_code
    outcome.response_digest = signing.digest(response.content)
    # Kept for officials to read; PostgreSQL text cannot hold NUL, which a broken peer may well send.
    outcome.response_body = response.content[:20000].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    if response.status_code >= 500:
        outcome.retry, outcome.error = True, f"{peer.name} answered {response.status_code}"
        return outcome
    try:
        signing.verify_response(response.status_code, response.headers, response.content, secret=secret,
                                request_id=request_id)
    except signing.SignatureError as exc:
        if response.status_code >= 400:  # a peer cannot sign its refusal of a request it could not verify
            outcome.error = (f"{peer.name} refused the request: HTTP {response.status_code} "
                             f"{_error_text(response)} (unsigned answer)")
        else:
            outcome.error = f"{peer.name}: the answer is not trustworthy ({exc}); HTTP {response.status_code}"
        return outcome
    return _read_answer(operator, peer, outcome, response)


def _read_answer(operator, peer, outcome, response):
    """A verified answer: its JSON, read by the operator."""
    try:
        answer = response.json()
    except ValueError:
        outcome.error = f"{peer.name} answered something that is not JSON"
        return outcome
    result = operator.parse(response.status_code, answer)
    if result is None:
        detail = answer.get("error") or answer.get("detail") if isinstance(answer, dict) else ""
        outcome.error = f"{peer.name} refused the request: HTTP {response.status_code} {detail or ''}".strip()
        return outcome
    outcome.result = result
    return outcome


def _error_text(response):
    try:
        answer = response.json()
    except ValueError:
        return ""
    return str(answer.get("error", "")) if isinstance(answer, dict) else ""


def call(exchange):
    """Do one attempt of ``exchange``'s operator."""
    operator = get_operator(exchange.operator)
    if operator is None:
        return Outcome(error=f"No connector is registered for operator “{exchange.operator}”.")
    problems = check_params(operator, exchange.params)
    if problems:
        return Outcome(error="Bad parameters: " + "; ".join(problems))
    if operator.local:
        return run_local(operator, exchange.params, exchange)
    return call_peer(operator, exchange.params, exchange)

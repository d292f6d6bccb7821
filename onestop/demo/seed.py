"""Demo data: a two-tier province (the shape since July 2025: the province, its departments, communes and
wards), a city with districts and wards (the pre-2025 shape, the second agency tree), officials per role,
citizens, and the procedures in ``bpmn/``.

Safe to run twice: every row is looked up by its natural key first.
"""
import json
import os
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from onestop.interop.models import Peer
from onestop.organisation.models import Agency, Citizen, Membership, RoutingRole
from procedures import services as procedure_services
from procedures.models import Procedure

BPMN_DIR = Path(settings.BASE_DIR) / "bpmn"
DEMO_PASSWORD = "onestop-demo"

# code, name, English name, level, parent code, national identifier
AGENCIES = [
    ("hcm", "Ủy ban nhân dân Thành phố Hồ Chí Minh", "Ho Chi Minh City People's Committee", "province", None, "H29"),
    ("hcm-sxd", "Sở Xây dựng Thành phố Hồ Chí Minh", "HCMC Department of Construction", "department", "hcm",
     "H29.12"),
    ("q1", "Ủy ban nhân dân Quận 1", "District 1 People's Committee", "district", "hcm", "H29.01"),
    ("q1-bennghe", "Ủy ban nhân dân Phường Bến Nghé", "Ben Nghe Ward People's Committee", "ward", "q1",
     "H29.01.01"),
    ("q1-benthanh", "Ủy ban nhân dân Phường Bến Thành", "Ben Thanh Ward People's Committee", "ward", "q1",
     "H29.01.02"),
    ("q3", "Ủy ban nhân dân Quận 3", "District 3 People's Committee", "district", "hcm", "H29.03"),
    ("q3-vothisau", "Ủy ban nhân dân Phường Võ Thị Sáu", "Vo Thi Sau Ward People's Committee", "ward", "q3",
     "H29.03.01"),
    ("tn", "Ủy ban nhân dân tỉnh Tây Ninh", "Tay Ninh Provincial People's Committee", "province", None, "H55"),
    ("tn-anbinh", "Ủy ban nhân dân xã An Bình", "An Binh Commune People's Committee", "commune", "tn", "H55.01"),
    ("tn-tanninh", "Ủy ban nhân dân phường Tân Ninh", "Tan Ninh Ward People's Committee", "ward", "tn", "H55.02"),
    ("tn-snnmt", "Sở Nông nghiệp và Môi trường tỉnh Tây Ninh", "Tay Ninh Department of Agriculture and Environment",
     "department", "tn", "H55.11"),
]

ROUTING_ROLES = [
    ("ward", "Ủy ban nhân dân cấp xã", "Commune-level People's Committee", "ancestor", "ward,commune", None),
    ("district", "Ủy ban nhân dân cấp huyện", "District People's Committee", "ancestor", "district", None),
    ("construction_department", "Sở Xây dựng", "Department of Construction", "fixed", "", "hcm-sxd"),
    ("agriculture_environment_department", "Sở Nông nghiệp và Môi trường", "Department of Agriculture and Environment",
     "fixed", "", "tn-snnmt"),
    ("receiving", "Cơ quan tiếp nhận", "The receiving agency", "receiving", "", None),
]

# username prefix per agency, and the roles its officials hold there
OFFICIALS = {
    "q1-bennghe": ("bennghe", ["receiver", "specialist", "leader"]),
    "q1-benthanh": ("benthanh", ["receiver", "specialist", "leader"]),
    "q1": ("q1", ["receiver", "specialist", "leader"]),
    "q3-vothisau": ("vothisau", ["receiver", "specialist", "leader"]),
    "q3": ("q3", ["receiver", "specialist", "leader"]),
    "hcm-sxd": ("sxd", ["specialist", "leader"]),
    "tn-anbinh": ("anbinh", ["receiver", "specialist", "leader"]),
    "tn-tanninh": ("tanninh", ["receiver", "specialist", "leader"]),
    "tn-snnmt": ("snnmt", ["specialist", "leader"]),
}
ROLE_NAMES = {"receiver": "Cán bộ một cửa", "specialist": "Chuyên viên", "leader": "Lãnh đạo"}

# The stand-in agency systems of onestop.peers (`python -m onestop.peers.server`), one key each.
PEERS_URL = os.environ.get("ONESTOP_PEERS_URL", "http://127.0.0.1:8100")
PEERS = [
    ("population", "Cơ sở dữ liệu quốc gia về dân cư", "National population database", "population",
     "population-demo-secret"),
    ("business_registry", "Hệ thống thông tin đăng ký hộ kinh doanh", "Business household registry",
     "business_registry", "business-demo-secret"),
    ("land_registry", "Cơ sở dữ liệu đất đai", "Land registry", "land_registry", "land-demo-secret"),
]

CITIZENS = [
    ("citizen1", "Nguyễn Văn An", "079090000001", "12 Lê Lợi, Phường Bến Nghé, Quận 1"),
    ("citizen2", "Trần Thị Bình", "079190000002", "45 Nguyễn Thị Minh Khai, Phường Võ Thị Sáu, Quận 3"),
]


def _user(username, first, last, **extra):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        # An address, so that the demo's notifications are printed (console backend) rather than failed.
        username=username, defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com",
                                     **extra}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


@transaction.atomic
def seed(load_procedures=True):
    """Load the demo. Returns the logins it made, for printing."""
    agencies = {}
    for code, name, name_en, level, parent, national_id in AGENCIES:
        agencies[code], _ = Agency.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "level": level, "parent": agencies.get(parent),
                      "national_id": national_id},
        )
    for code, name, name_en, strategy, levels, agency in ROUTING_ROLES:
        RoutingRole.objects.update_or_create(
            code=code,
            defaults={"name": name, "name_en": name_en, "strategy": strategy, "levels": levels,
                      "agency": agencies.get(agency)},
        )
    logins = []
    admin = _user("admin", "Quản trị", "hệ thống", is_staff=True, is_superuser=True)
    logins.append((admin.username, "admin"))
    for agency_code, (prefix, roles) in OFFICIALS.items():
        for role in roles:
            user = _user(f"{prefix}.{role}", ROLE_NAMES[role], agencies[agency_code].name.split("dân ")[-1])
            Membership.objects.get_or_create(user=user, agency=agencies[agency_code], role=role)
            logins.append((user.username, f"{role} @ {agency_code}"))
    for username, full_name, id_number, address in CITIZENS:
        # Vietnamese names read family name first: keep the whole name in one field, as sign-up does.
        user = _user(username, full_name, "")
        Citizen.objects.update_or_create(
            user=user, defaults={"id_number": id_number, "full_name": full_name, "address": address,
                                 "phone": f"09{id_number[-8:]}"}
        )
        logins.append((username, "citizen"))
    for code, name, name_en, key_id, secret in PEERS:
        # get_or_create: an admin's later change of address or key survives a second run.
        Peer.objects.get_or_create(code=code, defaults={
            "name": name, "name_en": name_en, "base_url": PEERS_URL, "key_id": key_id, "secret": secret,
        })
    if load_procedures:
        load_catalogue()
    return logins


def load_catalogue(directory=BPMN_DIR):
    """Create or update the procedures of ``catalogue.json`` and publish their BPMN files."""
    catalogue = json.loads((directory / "catalogue.json").read_text(encoding="utf-8"))
    versions = []
    for entry in catalogue["procedures"]:
        fields = {k: v for k, v in entry.items() if k not in {"code", "bpmn"}}
        Procedure.objects.update_or_create(code=entry["code"], defaults=fields)
        xml = (directory / entry["bpmn"]).read_bytes()
        versions.append(procedure_services.import_bpmn(xml, entry["code"], publish=True))
    return versions

"""A sample application for the demo's birth registration (procedure 1.001193, bpmn/birth_registration.bpmn).

Plain data, importable without Django: the test suite, the benchmarks and the fault scripts submit it. The
father is the demo's ``citizen1``, and both parents' identity numbers are in the stand-in population database
(``onestop/peers/data.json``), so the population lookup finds them.
"""

BIRTH_FORM = {
    "child_full_name": "Nguyễn Minh Khôi",
    "child_birth_date": "2026-11-20",
    "child_sex": "nam",
    "child_birth_place": "Bệnh viện Từ Dũ, Quận 1",
    "father_full_name": "Nguyễn Văn An",
    "father_id_number": "079090000001",
    "mother_full_name": "Lê Thị Hoa",
    "mother_id_number": "079190000003",
    "applicant_relationship": "cha",
}

# Who collects a result at the desk: the hand-over names them and checks their ID number.
COLLECTOR = {"collector_name": "Nguyễn Văn An", "collector_id_number": "079090000001"}


def data_for(decision):
    """What a completion of ``decision`` carries in the demo runs: the collector for a hand-over."""
    return dict(COLLECTOR) if decision == "returned" else {}

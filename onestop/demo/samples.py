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

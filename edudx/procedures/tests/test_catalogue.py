"""The procedure catalogue (administration notes §3.8): the seed is valid, complete for what the notes give, invents
no mã TTHC, marks what is unconfirmed; ``procedure_errors`` catches every kind of broken entry; versions by date."""

import dataclasses
import datetime as dt

import pytest

from edudx.core.errors import ValidationFailed
from edudx.procedures.catalogue import (
    PROCEDURE_FIELD_NAMES,
    SCHOOL_TRANSFER_FORM,
    SEED_PROCEDURES,
    AuthorityLevel,
    Component,
    ComponentForm,
    FeeKind,
    FeeRule,
    OnlineLevel,
    ResultType,
    catalogue_errors,
    procedure_errors,
    procedure_for,
    procedures_on,
)
from edudx.procedures.forms_schema import FieldType, FormDefinition, FormField

BY_KEY = {p.key: p for p in SEED_PROCEDURES}
TODAY = dt.date(2026, 10, 8)


def test_the_seed_is_valid():
    assert catalogue_errors(SEED_PROCEDURES) == []
    assert len(BY_KEY) == len(SEED_PROCEDURES)
    assert len(procedures_on(TODAY)) == len(SEED_PROCEDURES)
    assert procedures_on(dt.date(2025, 6, 30)) == []  # before the reform, none of these versions applies


def test_no_code_is_invented():
    assert all(p.code is None and "code" in p.unconfirmed_fields for p in SEED_PROCEDURES)
    # The one code the notes know belongs to the pre-2025 procedure; it is only mentioned.
    assert "2.002481" in BY_KEY["school_transfer_other_province"].note


@pytest.mark.parametrize(
    ("key", "authority", "days", "online", "result"),
    [
        ("establish_preschool", AuthorityLevel.WARD, 20, OnlineLevel.PARTIAL, ResultType.DECISION),
        ("establish_lower_secondary", AuthorityLevel.WARD, 25, OnlineLevel.PARTIAL, ResultType.DECISION),
        ("dissolve_primary", AuthorityLevel.WARD, 20, OnlineLevel.PARTIAL, ResultType.DECISION),
        ("allow_operation_independent_preschool", AuthorityLevel.WARD, 20, OnlineLevel.PARTIAL, ResultType.DECISION),
        ("convert_private_school", AuthorityLevel.WARD, None, OnlineLevel.PARTIAL, ResultType.DECISION),
        ("tuition_exemption", AuthorityLevel.WARD, None, OnlineLevel.PARTIAL, ResultType.DECISION),
        ("study_cost_support", AuthorityLevel.WARD, None, OnlineLevel.PARTIAL, ResultType.DECISION),
        ("nominated_admission", AuthorityLevel.WARD, None, OnlineLevel.PARTIAL, ResultType.DECISION),
        ("school_transfer_same_province", AuthorityLevel.SCHOOL, 5, OnlineLevel.FULL, ResultType.WRITTEN_REPLY),
        ("school_transfer_other_province", AuthorityLevel.SCHOOL, 8, OnlineLevel.FULL, ResultType.WRITTEN_REPLY),
        ("diploma_copy_from_register", AuthorityLevel.REGISTER_HOLDER, 0, OnlineLevel.PARTIAL, ResultType.COPY),
        ("diploma_correction", AuthorityLevel.REGISTER_HOLDER, 5, OnlineLevel.PARTIAL, ResultType.DECISION),
        ("enrollment_grade_1", AuthorityLevel.SCHOOL, None, OnlineLevel.FULL, ResultType.NOTICE),
        ("enrollment_grade_6", AuthorityLevel.SCHOOL, None, OnlineLevel.FULL, ResultType.NOTICE),
    ],
)
def test_seeded_values(key, authority, days, online, result):
    p = BY_KEY[key]
    assert (p.authority_level, p.processing_days, p.online_level, p.result_type) == (authority, days, online, result)
    assert p.fee is None  # every education procedure of the notes is free of charge (or its fee unknown)
    assert p.valid_from == dt.date(2025, 7, 1) and p.valid_to is None
    assert "online_level" in p.unconfirmed_fields  # the notes give no online level
    if days is None:
        assert "processing_days" in p.unconfirmed_fields


def test_the_school_organisation_family():
    family = [
        p for p in SEED_PROCEDURES if p.key.split("_")[0] in {"establish", "allow", "suspend", "reorganise", "dissolve"}
    ]
    assert len(family) == 20  # five steps × four kinds of institution
    for p in family:
        assert p.competent_authority == "Chủ tịch Ủy ban nhân dân cấp xã"
        assert any("142/2025" in basis for basis in p.legal_basis)
        assert any("125/2024" in basis for basis in p.legal_basis)


def test_the_transfer_procedures():
    for key in ("school_transfer_same_province", "school_transfer_other_province"):
        p = BY_KEY[key]
        assert p.application_form is SCHOOL_TRANSFER_FORM
        assert [c.name for c in p.components] == ["Đơn xin chuyển trường", "Bản tổng hợp kết quả học tập"]
        assert all(c.form == ComponentForm.ORIGINAL and c.count == 1 for c in p.components)
        assert p.competent_authority == "Hiệu trưởng trường nơi chuyển đến"
        assert "Dự thảo" in p.legal_basis[0]


def test_abolished_lower_secondary_diploma_is_not_seeded():
    assert not [p for p in SEED_PROCEDURES if "bằng tốt nghiệp" in p.name.lower()]


def test_procedure_for_and_versions():
    current = BY_KEY["diploma_correction"]
    older = dataclasses.replace(
        current, valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2025, 6, 30), processing_days=7
    )
    catalogue = (older, current)
    assert procedure_for("diploma_correction", dt.date(2025, 6, 30), catalogue).processing_days == 7
    assert procedure_for("diploma_correction", dt.date(2025, 7, 1), catalogue).processing_days == 5
    assert procedure_for("diploma_correction", TODAY) is current  # default: the seed
    assert catalogue_errors(catalogue) == []
    with pytest.raises(ValidationFailed) as excinfo:
        procedure_for("diploma_correction", dt.date(2019, 12, 31), catalogue)
    assert excinfo.value.code == "unknown_procedure"
    overlapping = dataclasses.replace(older, valid_to=dt.date(2025, 7, 1))
    assert any("chồng lên nhau" in e for e in catalogue_errors((overlapping, current)))
    assert catalogue_errors((overlapping, dataclasses.replace(current, key="other"))) == []


GOOD = dataclasses.replace(
    BY_KEY["diploma_correction"],
    code="9.000001",  # a made-up code for the test
    legal_basis=("Thông tư mẫu",),
    fee=FeeRule(50_000, FeeKind.CHARGE, "Nghị quyết HĐND mẫu"),
    unconfirmed_fields=frozenset(),
)


def _broken(**changes):
    return dataclasses.replace(GOOD, **changes)


def test_a_complete_entry_has_no_errors():
    assert procedure_errors(GOOD) == []


@pytest.mark.parametrize(
    ("procedure", "fragment"),
    [
        (_broken(key="Chỉnh sửa"), "Mã nội bộ"),
        (_broken(name=" "), "cần có tên"),
        (_broken(code="2002481"), "phải có dạng 1.234567"),
        (_broken(code="2.00248"), "phải có dạng 1.234567"),
        (_broken(code=None), "chưa có mã thủ tục"),
        (_broken(legal_basis=()), "căn cứ pháp lý"),
        (_broken(legal_basis=("NĐ 1", " ")), "căn cứ pháp lý để trống"),
        (_broken(competent_authority=""), "cơ quan có thẩm quyền"),
        (_broken(components=()), "ít nhất một thành phần"),
        (_broken(components=(Component("Đơn", ComponentForm.ORIGINAL),) * 2), "bị trùng tên"),
        (_broken(components=(Component(" ", ComponentForm.ORIGINAL),)), "chưa có tên"),
        (_broken(components=(Component("Đơn", ComponentForm.COPY, count=0),)), "số nguyên từ 1"),
        (_broken(components=(Component("Đơn", ComponentForm.COPY, count=True),)), "số nguyên từ 1"),
        (_broken(processing_days=None), "cần có thời hạn"),
        (_broken(processing_days=-1), "từ 0 đến 90"),
        (_broken(processing_days=91), "từ 0 đến 90"),
        (_broken(fee=FeeRule(0, FeeKind.FEE, "NQ")), "lớn hơn 0"),
        (_broken(fee=FeeRule(1500.5, FeeKind.FEE, "NQ")), "lớn hơn 0"),
        (_broken(fee=FeeRule(1500, FeeKind.FEE, " ")), "văn bản quy định mức thu"),
        (_broken(online_level=OnlineLevel.FULL, full_online_eligible=False), "không đủ điều kiện"),
        (_broken(result_name=""), "tên kết quả"),
        (_broken(valid_to=dt.date(2025, 1, 1)), "Ngày hết hiệu lực"),
        (_broken(unconfirmed_fields=frozenset({"colour"})), "không tồn tại: colour"),
        (
            _broken(application_form=FormDefinition("x", "X", (FormField("a", "A", FieldType.DATE, max_length=3),))),
            "Biểu mẫu của",
        ),
    ],
)
def test_procedure_errors(procedure, fragment):
    errors = procedure_errors(procedure)
    assert any(fragment in message for message in errors), errors


@pytest.mark.parametrize("field", ["code", "legal_basis", "components", "processing_days"])
def test_missing_values_are_allowed_only_when_marked_unconfirmed(field):
    empty = {"code": None, "legal_basis": (), "components": (), "processing_days": None}[field]
    assert procedure_errors(_broken(**{field: empty})) != []
    assert procedure_errors(_broken(**{field: empty, "unconfirmed_fields": frozenset({field})})) == []
    assert field in PROCEDURE_FIELD_NAMES

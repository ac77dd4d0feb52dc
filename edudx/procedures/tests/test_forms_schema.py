"""Application forms as data: definitions are checked before they are stored, submissions are cleaned field by field
with Vietnamese messages; the school transfer form of the catalogue is the worked example."""

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from edudx.core.errors import ValidationFailed
from edudx.procedures.catalogue import SCHOOL_TRANSFER_FORM
from edudx.procedures.forms_schema import (
    PREFILL_SOURCES,
    Choice,
    FieldType,
    FormDefinition,
    FormField,
    definition_errors,
    definition_from_data,
    definition_to_data,
    normalise_phone,
    phone_errors,
    validate_definition,
    validate_submission,
)

VALID_PID = "079206001234"  # TP.HCM birth registration, born 2006, male


def form(*fields, code="demo"):
    return FormDefinition(code=code, title="Biểu mẫu thử", fields=tuple(fields))


def one(type_, **kwargs):
    return form(FormField("value", "Giá trị", type_, **kwargs))


def test_the_transfer_form_is_valid_and_round_trips():
    assert definition_errors(SCHOOL_TRANSFER_FORM) == []
    data = definition_to_data(SCHOOL_TRANSFER_FORM)
    assert definition_from_data(data) == SCHOOL_TRANSFER_FORM
    assert validate_definition(data) == SCHOOL_TRANSFER_FORM
    assert SCHOOL_TRANSFER_FORM.prefill_map["current_school"] == "student.current_school"
    assert SCHOOL_TRANSFER_FORM.prefill_map["guardian_full_name"] == "guardian.full_name"
    assert set(SCHOOL_TRANSFER_FORM.prefill_map.values()) <= set(PREFILL_SOURCES)


def test_a_transfer_application_is_cleaned():
    cleaned = validate_submission(
        SCHOOL_TRANSFER_FORM,
        {
            "student": "HS0001",
            "student_full_name": "  Nguyễn   Minh Anh ",
            "student_date_of_birth": "05/09/2014",
            "student_personal_id": "079214 001234".replace(" ", ""),
            "current_school": "Trường THCS Phú Cường",
            "current_grade": "7",
            "receiving_school": "Trường THCS Chánh Nghĩa",
            "origin": "same_province",
            "reason": "Gia đình chuyển nơi ở.\nGần trường mới hơn.",
            "guardian_full_name": "Nguyễn Văn Hùng",
            "guardian_personal_id": "079080001234",
            "guardian_phone": "+84 912.345.678",
            "guardian_email": "Hung.Nguyen@Example.VN",
            "result_delivery": "online",
        },
        known_students={"HS0001", "HS0002"},
    )
    assert cleaned["student_full_name"] == "Nguyễn Minh Anh"
    assert cleaned["student_date_of_birth"] == dt.date(2014, 9, 5)
    assert cleaned["guardian_phone"] == "0912345678"
    assert cleaned["guardian_email"] == "Hung.Nguyen@example.vn"
    assert cleaned["reason"] == "Gia đình chuyển nơi ở.\nGần trường mới hơn."
    assert cleaned["expected_date"] is None and cleaned["results_summary"] is None
    assert set(cleaned) == {f.key for f in SCHOOL_TRANSFER_FORM.fields}


def test_every_problem_is_reported_at_once_per_field():
    with pytest.raises(ValidationFailed) as excinfo:
        validate_submission(
            SCHOOL_TRANSFER_FORM,
            {"student": "HS9999", "guardian_phone": "12345", "current_grade": "12", "hacked": "1"},
            known_students={"HS0001"},
        )
    details = excinfo.value.details
    assert excinfo.value.code == "invalid_submission"
    assert details["__all__"] == ["Biểu mẫu không có trường «hacked»."]
    assert "không nằm trong danh sách học sinh" in details["student"][0]
    assert details["guardian_phone"][0].startswith("«Điện thoại liên hệ»: Số điện thoại «12345» không hợp lệ")
    assert "Lựa chọn «12»" in details["current_grade"][0]
    assert details["receiving_school"] == ["«Trường xin chuyển đến» là thông tin bắt buộc."]
    assert "guardian_email" not in details  # optional and empty


@pytest.mark.parametrize(
    ("field", "value", "cleaned"),
    [
        (one(FieldType.TEXT), "  a   b ", "a b"),
        (one(FieldType.TEXT, max_length=3), "abc", "abc"),
        (one(FieldType.TEXTAREA), " dòng 1\ndòng 2 ", "dòng 1\ndòng 2"),
        (one(FieldType.DATE), "2026-09-05", dt.date(2026, 9, 5)),
        (one(FieldType.DATE), "5/9/2026", dt.date(2026, 9, 5)),
        (one(FieldType.DATE), dt.date(2026, 9, 5), dt.date(2026, 9, 5)),
        (one(FieldType.NUMBER), "12", Decimal(12)),
        (one(FieldType.NUMBER), "7,5", Decimal("7.5")),
        (one(FieldType.NUMBER), 3, Decimal(3)),
        (one(FieldType.NUMBER), Decimal("2.25"), Decimal("2.25")),
        (one(FieldType.CHOICE, choices=(Choice("a", "A"), Choice("b", "B"))), " b ", "b"),
        (one(FieldType.PERSONAL_ID), " 079206001234 ", VALID_PID),
        (one(FieldType.PHONE), "0274 3822 123", "02743822123"),
        (one(FieldType.PHONE), "84912345678", "0912345678"),
        (one(FieldType.EMAIL), "a.b@Truong.EDU.vn", "a.b@truong.edu.vn"),
        (one(FieldType.FILE), "file-17", "file-17"),
        (one(FieldType.STUDENT), 42, "42"),
        (one(FieldType.TEXT, required=False), "   ", None),
        (one(FieldType.NUMBER, required=False), None, None),
    ],
)
def test_clean_values(field, value, cleaned):
    assert validate_submission(field, {"value": value}) == {"value": cleaned}


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        (one(FieldType.TEXT), None, "là thông tin bắt buộc"),
        (one(FieldType.TEXT), "  ", "là thông tin bắt buộc"),
        (one(FieldType.TEXT), 12, "phải là văn bản"),
        (one(FieldType.TEXT, max_length=3), "abcd", "Tối đa 3 ký tự; đã nhập 4 ký tự"),
        (one(FieldType.TEXT), "x" * 256, "Tối đa 255 ký tự"),
        (one(FieldType.DATE), "31/02/2026", "không hợp lệ"),
        (one(FieldType.DATE), "hôm qua", "không hợp lệ"),
        (one(FieldType.DATE), dt.datetime(2026, 9, 5, 8), "không kèm giờ"),
        (one(FieldType.NUMBER), 1.5, "số nguyên hoặc chuỗi chữ số"),
        (one(FieldType.NUMBER), True, "số nguyên hoặc chuỗi chữ số"),
        (one(FieldType.NUMBER), "1e5", "không phải là một số"),
        (one(FieldType.NUMBER), "NaN", "không phải là một số"),
        (one(FieldType.CHOICE, choices=(Choice("a", "A"),)), "c", "không có trong danh sách"),
        (one(FieldType.PERSONAL_ID), "12345", "đúng 12 chữ số"),
        (one(FieldType.PERSONAL_ID), "999206001234", "Mã tỉnh/thành"),
        (one(FieldType.PHONE), "0112345678", "không hợp lệ"),
        (one(FieldType.PHONE), "091234567", "không hợp lệ"),
        (one(FieldType.EMAIL), "a@", "không hợp lệ"),
        (one(FieldType.FILE), ["f1"], "không hợp lệ"),
    ],
)
def test_refused_values(field, value, fragment):
    with pytest.raises(ValidationFailed) as excinfo:
        validate_submission(field, {"value": value})
    messages = excinfo.value.details["value"]
    assert any(fragment in message for message in messages), messages
    assert all(message.startswith("«Giá trị»") for message in messages)


def test_known_files_are_enforced():
    definition = one(FieldType.FILE)
    assert validate_submission(definition, {"value": "f1"}, known_files={"f1"}) == {"value": "f1"}
    with pytest.raises(ValidationFailed) as excinfo:
        validate_submission(definition, {"value": "f2"}, known_files={"f1"})
    assert "Tệp đính kèm không tồn tại" in excinfo.value.details["value"][0]


@pytest.mark.parametrize(
    ("value", "normalised", "valid"),
    [
        ("0912345678", "0912345678", True),
        ("+84 912 345 678", "0912345678", True),
        ("(028) 3822-1234", "02838221234", True),
        ("0312345678", "0312345678", True),
        ("0612345678", "0612345678", False),
        ("091234567", "091234567", False),
        ("02838221234 5", "028382212345", False),
    ],
)
def test_phone_numbers(value, normalised, valid):
    assert normalise_phone(value) == normalised
    assert (phone_errors(value) == []) is valid


BASE = FormField("name", "Họ tên", FieldType.TEXT)


@pytest.mark.parametrize(
    ("definition", "fragment"),
    [
        (form(BASE, code="Bad Code"), "Mã biểu mẫu"),
        (dataclasses.replace(form(BASE), title=" "), "cần có tên"),
        (dataclasses.replace(form(BASE), version=0), "Phiên bản"),
        (form(), "ít nhất một trường"),
        (form(*(FormField(f"f{i}", "X", FieldType.TEXT) for i in range(61))), "tối đa 60 trường"),
        (form(FormField("1name", "Họ tên", FieldType.TEXT)), "Mã trường «1name»"),
        (form(BASE, BASE), "bị trùng"),
        (form(FormField("name", " ", FieldType.TEXT)), "cần có nhãn"),
        (form(FormField("c", "Chọn", FieldType.CHOICE)), "ít nhất một lựa chọn"),
        (form(FormField("c", "Chọn", FieldType.CHOICE, choices=(Choice("a", "A"), Choice("a", "B")))), "bị trùng"),
        (form(FormField("c", "Chọn", FieldType.CHOICE, choices=(Choice("", "A"),))), "cần có giá trị và nhãn"),
        (form(FormField("t", "T", FieldType.TEXT, choices=(Choice("a", "A"),))), "Chỉ trường lựa chọn"),
        (form(FormField("d", "Ngày", FieldType.DATE, max_length=10)), "Chỉ trường văn bản"),
        (form(FormField("t", "T", FieldType.TEXT, max_length=0)), "từ 1 ký tự"),
        (form(FormField("t", "T", FieldType.TEXT, prefill="guardian.salary")), "Nguồn điền sẵn «guardian.salary»"),
        (form(FormField("s", "HS", FieldType.STUDENT, prefill="student.full_name")), "chỉ điền sẵn từ mã học sinh"),
    ],
)
def test_definition_errors(definition, fragment):
    errors = definition_errors(definition)
    assert any(fragment in message for message in errors), errors
    with pytest.raises(ValidationFailed) as excinfo:
        validate_definition(definition)
    assert excinfo.value.code == "invalid_form_definition"
    assert excinfo.value.details["definition"] == errors


@pytest.mark.parametrize(
    "data",
    [
        {"title": "x", "fields": []},
        {"code": "x", "title": "x", "fields": "abc"},
        {"code": "x", "title": "x", "fields": [{"key": "a", "label": "A", "type": "colour"}]},
        {"code": "x", "title": "x", "fields": [{"key": "a", "label": "A", "type": "text", "max_length": "9"}]},
        {"code": "x", "title": "x", "fields": [{"key": "a", "label": "A", "type": "choice", "choices": [{"v": 1}]}]},
        {"code": "x", "title": "x", "fields": [], "version": "2"},
    ],
)
def test_malformed_stored_definitions(data):
    with pytest.raises(ValidationFailed) as excinfo:
        definition_from_data(data)
    assert excinfo.value.code == "invalid_form_definition"
    assert "không đúng cấu trúc" in excinfo.value.message

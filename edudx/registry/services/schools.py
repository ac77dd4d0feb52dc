"""Writes about schools: their ICT infrastructure (internet, Wi-Fi, computer rooms, classroom displays)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from edudx.core.api import Actor, OrgUnit, OrgUnitKind, ValidationFailed, audit, policy_for

from ..enums import InternetType
from ..models import SchoolInfrastructure

__all__ = ["INFRASTRUCTURE_FIELDS", "school_infrastructure_update"]

INFRASTRUCTURE_FIELDS = (
    "internet_type",
    "bandwidth_mbps",
    "has_wifi_for_teaching",
    "computer_rooms",
    "student_computers",
    "teacher_computers",
    "classrooms",
    "classrooms_with_projector",
    "classrooms_with_display",
    "other_devices",
)
_COUNTS = (
    "bandwidth_mbps",
    "computer_rooms",
    "student_computers",
    "teacher_computers",
    "classrooms",
    "classrooms_with_projector",
    "classrooms_with_display",
)


def _validate(values: dict[str, Any]) -> None:
    errors: dict[str, str] = {}
    if values["internet_type"] not in InternetType.values:
        errors["internet_type"] = "Loại kết nối Internet không hợp lệ."
    for name in _COUNTS:
        value = values[name]
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors[name] = "Phải là số nguyên không âm."
    if errors:
        raise ValidationFailed("Dữ liệu hạ tầng không hợp lệ.", details=errors)
    if values["internet_type"] == InternetType.NONE and values["bandwidth_mbps"] > 0:
        errors["bandwidth_mbps"] = "Trường chưa có Internet thì băng thông phải bằng 0."
    if values["internet_type"] != InternetType.NONE and values["bandwidth_mbps"] == 0:
        errors["bandwidth_mbps"] = "Hãy nhập băng thông của đường truyền Internet."
    for name, label in (
        ("classrooms_with_projector", "Số phòng học có máy chiếu"),
        ("classrooms_with_display", "Số phòng học có màn hình/TV thông minh"),
    ):
        if values[name] > values["classrooms"]:
            errors[name] = f"{label} ({values[name]}) không được lớn hơn tổng số phòng học ({values['classrooms']})."
    if values["computer_rooms"] > 0 and values["student_computers"] == 0:
        errors["student_computers"] = "Trường có phòng máy tính thì phải có máy tính dành cho học sinh."
    if errors:
        raise ValidationFailed(" ".join(errors.values()), details=errors)


@transaction.atomic
def school_infrastructure_update(*, actor: Actor, school: OrgUnit, **fields: Any) -> SchoolInfrastructure:
    """Record what a school has for digital teaching; audited with before and after."""
    policy_for(SchoolInfrastructure).check_in(actor, "change", school)
    if school.kind != OrgUnitKind.SCHOOL:
        raise ValidationFailed("Chỉ cập nhật hạ tầng cho trường học.")
    if school.valid_to is not None:
        raise ValidationFailed("Trường đã ngừng hoạt động, không thể cập nhật hạ tầng.")
    unknown = set(fields) - set(INFRASTRUCTURE_FIELDS)
    if unknown:
        raise ValidationFailed(f"Trường dữ liệu không được hỗ trợ: {', '.join(sorted(unknown))}.")
    infrastructure, created = SchoolInfrastructure.objects.select_for_update().get_or_create(school=school)
    snapshot_fields = list(INFRASTRUCTURE_FIELDS)
    before = None if created else audit.snapshot(infrastructure, fields=snapshot_fields)
    values = {name: getattr(infrastructure, name) for name in INFRASTRUCTURE_FIELDS}
    values.update(fields)
    values["other_devices"] = (values["other_devices"] or "").strip()
    _validate(values)
    for name, value in values.items():
        setattr(infrastructure, name, value)
    infrastructure.updated_by = actor.user
    infrastructure.save()
    audit.record(
        actor=actor.user,
        action="school.infrastructure_update",
        obj=infrastructure,
        object_label=f"Hạ tầng CNTT – {school.name}",
        org_unit=school,
        before=before,
        after=audit.snapshot(infrastructure, fields=snapshot_fields),
    )
    return infrastructure

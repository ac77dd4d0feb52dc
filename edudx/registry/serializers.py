"""REST representations of the registry (read only).

Personal ID numbers leave the platform only masked (the last three digits); the full value is read
through the audited reveal screen, never through the API.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import GuardianLink, SchoolClass, SchoolYear, StaffMember, Student


class SchoolYearSerializer(serializers.ModelSerializer):
    name = serializers.CharField(read_only=True)

    class Meta:
        model = SchoolYear
        fields = [
            "id",
            "code",
            "name",
            "starts_on",
            "ends_on",
            "semester1_ends_on",
            "semester2_starts_on",
            "is_current",
        ]
        read_only_fields = fields


class PersonRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class ClassRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    year = serializers.IntegerField(source="year_id")


class SchoolClassSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    year_code = serializers.CharField(source="year.code", read_only=True)
    grade = serializers.CharField(source="grade.code", read_only=True)
    grade_name = serializers.CharField(source="grade.name", read_only=True)
    level = serializers.CharField(source="grade.level", read_only=True)
    homeroom_teacher = serializers.SerializerMethodField()
    student_count = serializers.IntegerField(read_only=True, help_text="Số học sinh đang học trong lớp.")

    class Meta:
        model = SchoolClass
        fields = [
            "id",
            "name",
            "school",
            "school_name",
            "year",
            "year_code",
            "grade",
            "grade_name",
            "level",
            "homeroom_teacher",
            "student_count",
        ]
        read_only_fields = fields

    @extend_schema_field(PersonRefSerializer(allow_null=True))
    def get_homeroom_teacher(self, klass: SchoolClass) -> dict[str, Any] | None:
        staff = klass.homeroom_teacher
        if staff is None:
            return None
        return {"id": staff.pk, "full_name": staff.person.full_name}


class StudentSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="person.full_name", read_only=True)
    date_of_birth = serializers.DateField(source="person.date_of_birth", read_only=True)
    sex = serializers.CharField(source="person.sex", read_only=True)
    ethnicity = serializers.CharField(source="person.ethnicity", read_only=True)
    nationality = serializers.CharField(source="person.nationality", read_only=True)
    personal_id_masked = serializers.CharField(
        source="person.personal_id_masked",
        read_only=True,
        help_text="Số định danh cá nhân đã che, chỉ hiện 3 chữ số cuối.",
    )
    school_name = serializers.CharField(source="school.name", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    current_class = serializers.SerializerMethodField()

    class Meta:
        model = Student
        fields = [
            "id",
            "moet_code",
            "full_name",
            "date_of_birth",
            "sex",
            "ethnicity",
            "nationality",
            "personal_id_masked",
            "school",
            "school_name",
            "status",
            "status_label",
            "enrolled_on",
            "current_class",
        ]
        read_only_fields = fields

    @extend_schema_field(ClassRefSerializer(allow_null=True))
    def get_current_class(self, student: Student) -> dict[str, Any] | None:
        memberships = getattr(student, "current_memberships", None)
        if not memberships:
            return None
        klass = memberships[-1].school_class
        return {"id": klass.pk, "name": klass.name, "year": klass.year_id}


class StudentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    moet_code = serializers.CharField()
    full_name = serializers.CharField()


class GuardianSerializer(serializers.ModelSerializer):
    """A guardian as linked to one student (one row per link)."""

    person = serializers.IntegerField(source="guardian_id", read_only=True)
    full_name = serializers.CharField(source="guardian.full_name", read_only=True)
    phone = serializers.CharField(source="guardian.phone", read_only=True)
    email = serializers.CharField(source="guardian.email", read_only=True)
    relation_label = serializers.CharField(source="get_relation_display", read_only=True)
    student = serializers.SerializerMethodField()

    class Meta:
        model = GuardianLink
        fields = ["id", "person", "full_name", "phone", "email", "relation", "relation_label", "is_primary", "student"]
        read_only_fields = fields

    @extend_schema_field(StudentRefSerializer)
    def get_student(self, link: GuardianLink) -> dict[str, Any]:
        student = link.student
        return {"id": student.pk, "moet_code": student.moet_code, "full_name": student.person.full_name}


class StaffMemberSerializer(serializers.ModelSerializer):
    full_name = serializers.CharField(source="person.full_name", read_only=True)
    org_unit_name = serializers.CharField(source="org_unit.name", read_only=True)
    position_label = serializers.CharField(source="get_position_display", read_only=True)
    subjects = serializers.SerializerMethodField()
    has_signing_certificate = serializers.SerializerMethodField()

    class Meta:
        model = StaffMember
        fields = [
            "id",
            "full_name",
            "org_unit",
            "org_unit_name",
            "staff_code",
            "position",
            "position_label",
            "qualification",
            "subjects",
            "digital_skills_trained_on",
            "digital_skills_course",
            "has_signing_certificate",
            "is_active",
        ]
        read_only_fields = fields

    def get_subjects(self, staff: StaffMember) -> list[str]:
        return [subject.code for subject in staff.subjects.all()]

    def get_has_signing_certificate(self, staff: StaffMember) -> bool:
        return bool(staff.signing_certificate_ref)

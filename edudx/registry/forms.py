"""Forms of the people pages: students, guardians, classes, teaching, staff, school years.

They only parse input and offer the choices the actor may pick from; the services decide and the views
map a service's refusal onto the form. Labels are the Vietnamese the pages show.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from edudx.core.api import Actor, OrgUnit, OrgUnitKind
from edudx.core.widgets import date_field

from . import selectors
from .enums import GuardianRelation, Qualification, Sex, StaffPosition
from .models import Grade, SchoolClass, SchoolYear, StaffMember, Student, Subject, TeachingAssignment

__all__ = [
    "ClassChoiceField",
    "ClassEditForm",
    "ClassForm",
    "GuardianForm",
    "MoveForm",
    "RevealForm",
    "RolloverForm",
    "StaffChoiceField",
    "StaffCreateForm",
    "StaffForm",
    "StudentCreateForm",
    "StudentEditForm",
    "StudentPersonForm",
    "TeachingForm",
    "TransferForm",
    "YearForm",
    "current_year",
]


# ---------------------------------------------------------------------------------------------
# Shared pieces
# ---------------------------------------------------------------------------------------------


def _styled(form: forms.Form) -> forms.Form:
    """Bootstrap 5 classes on every widget (check boxes, selects, text), keeping any class already set."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            widget.attrs.setdefault("class", "form-check-input")
        elif isinstance(widget, forms.CheckboxSelectMultiple):
            continue
        elif isinstance(widget, forms.Select):
            widget.attrs.setdefault("class", "form-select")
        else:
            widget.attrs.setdefault("class", "form-control")
    return form


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])


def _date_field(label: str, required: bool = True) -> forms.DateField:
    # No class here: _styled() gives every widget its Bootstrap class.
    return date_field(label, required=required, css_class="")


def _personal_id_field(label: str = _("Số định danh cá nhân"), help_text: str | None = None) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=12,
        required=False,
        help_text=help_text
        if help_text is not None
        else _("12 chữ số, được mã hoá khi lưu và chỉ hiển thị 3 số cuối."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def current_year() -> SchoolYear | None:
    """The school year marked current, or None (no fallback to the latest year)."""
    return SchoolYear.objects.filter(is_current=True).first()


def _school_staff(actor: Actor, school: OrgUnit) -> Any:
    """Active staff of ``school`` the actor may see: the choices for homeroom and subject teachers."""
    return selectors.staff_list(actor=actor, active=True).filter(org_unit=school)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.person.full_name} – {obj.org_unit.name}"


class ClassChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.year.code}) – {obj.school.name}"


# ---------------------------------------------------------------------------------------------
# Students and guardians
# ---------------------------------------------------------------------------------------------


class StudentPersonForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    date_of_birth = _date_field(_("Ngày sinh"), required=False)
    sex = forms.ChoiceField(label=_("Giới tính"), choices=[("", "—"), *Sex.choices], required=False)
    ethnicity = forms.CharField(label=_("Dân tộc"), max_length=50, required=False, initial="Kinh")
    personal_id = _personal_id_field()
    address = forms.CharField(label=_("Địa chỉ thường trú"), max_length=255, required=False)

    PERSON = ("full_name", "date_of_birth", "sex", "ethnicity", "address")


class StudentCreateForm(StudentPersonForm):
    moet_code = forms.CharField(
        label=_("Mã học sinh (CSDL ngành)"),
        max_length=20,
        help_text=_("Mã định danh do CSDL ngành cấp; không đổi về sau."),
    )
    school = forms.ModelChoiceField(label=_("Trường"), queryset=OrgUnit.objects.none())
    school_class = ClassChoiceField(
        label=_("Lớp (năm học hiện tại)"), queryset=SchoolClass.objects.none(), required=False
    )
    enrolled_on = _date_field(_("Ngày vào trường"), required=False)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = actor.units_with("student.change").filter(kind=OrgUnitKind.SCHOOL, valid_to__isnull=True)
        schools = schools.order_by("name")
        _choices(self, "school").queryset = schools
        current = current_year()
        classes = SchoolClass.objects.none()
        if current is not None:
            classes = (
                SchoolClass.objects.filter(school__in=schools, year=current)
                .select_related("school", "year")
                .order_by("school__name", "name")
            )
        _choices(self, "school_class").queryset = classes
        self.fields["enrolled_on"].initial = timezone.localdate()
        if schools.count() == 1:
            self.fields["school"].initial = schools.first().pk  # type: ignore[union-attr]
        _styled(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        school, school_class = data.get("school"), data.get("school_class")
        if school is not None and school_class is not None and school_class.school_id != school.pk:
            self.add_error("school_class", _("Lớp được chọn không thuộc trường này."))
        return data


class StudentEditForm(StudentPersonForm):
    def __init__(self, *args: Any, student: Student, **kwargs: Any) -> None:
        if not args or args[0] is None:
            person = student.person
            kwargs.setdefault("initial", {name: getattr(person, name) for name in self.PERSON})
        super().__init__(*args, **kwargs)
        self.fields["personal_id"].label = _("Số định danh cá nhân mới")
        self.fields["personal_id"].help_text = _("Để trống nếu không thay đổi. Số được mã hoá khi lưu.")
        _styled(self)


class MoveForm(forms.Form):
    to_class = ClassChoiceField(label=_("Chuyển sang lớp"), queryset=SchoolClass.objects.none())
    on = _date_field(_("Ngày chuyển lớp"))

    def __init__(self, *args: Any, classes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "to_class").queryset = classes
        self.fields["on"].initial = timezone.localdate()
        _styled(self)


class TransferForm(forms.Form):
    to_school = forms.ModelChoiceField(label=_("Trường chuyển đến"), queryset=OrgUnit.objects.none())
    on = _date_field(_("Ngày chuyển"))
    reason = forms.CharField(label=_("Lý do chuyển trường"), max_length=255, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, current_school: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any open school may receive a pupil: the list of schools is public information.
        _choices(self, "to_school").queryset = (
            OrgUnit.objects.schools().open_on(timezone.localdate()).exclude(pk=current_school.pk).order_by("name")
        )
        self.fields["on"].initial = timezone.localdate()
        _styled(self)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=_("Lý do cần xem số định danh đầy đủ"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Lượt xem được ghi lại: ai xem, lúc nào, vì sao."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class GuardianForm(forms.Form):
    relation = forms.ChoiceField(label=_("Quan hệ với học sinh"), choices=GuardianRelation.choices)
    is_primary = forms.BooleanField(label=_("Là người liên hệ chính"), required=False)
    existing_personal_id = _personal_id_field(
        _("Số định danh của người đã có trong hệ thống"),
        help_text=_("Nhập đủ 12 chữ số để liên kết với người đã có hồ sơ (ví dụ cán bộ, phụ huynh của anh chị em)."),
    )
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150, required=False)
    phone = forms.CharField(label=_("Điện thoại"), max_length=20, required=False)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    personal_id = _personal_id_field()

    EXISTING = ("existing_personal_id",)
    NEW = ("full_name", "phone", "email", "personal_id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("existing_personal_id") and not data.get("full_name"):
            self.add_error(
                "full_name", _("Nhập họ và tên người mới, hoặc số định danh của người đã có trong hệ thống.")
            )
        return data


# ---------------------------------------------------------------------------------------------
# Classes and teaching
# ---------------------------------------------------------------------------------------------


class ClassForm(forms.Form):
    school = forms.ModelChoiceField(label=_("Trường"), queryset=OrgUnit.objects.none())
    year = forms.ModelChoiceField(label=_("Năm học"), queryset=SchoolYear.objects.none())
    grade = forms.ModelChoiceField(label=_("Khối lớp / nhóm tuổi"), queryset=Grade.objects.all())
    name = forms.CharField(label=_("Tên lớp"), max_length=32, help_text=_("Ví dụ: 6A1, MG4B"))
    homeroom_teacher = StaffChoiceField(
        label=_("Giáo viên chủ nhiệm"), queryset=StaffMember.objects.none(), required=False
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = actor.units_with("class.change").filter(kind=OrgUnitKind.SCHOOL).order_by("name")
        _choices(self, "school").queryset = schools
        _choices(self, "year").queryset = selectors.school_year_list(actor=actor)
        _choices(self, "homeroom_teacher").queryset = selectors.staff_list(actor=actor, active=True).filter(
            org_unit__in=schools
        )
        current = current_year()
        if current is not None:
            self.fields["year"].initial = current.pk
        if schools.count() == 1:
            self.fields["school"].initial = schools.first().pk  # type: ignore[union-attr]
        _styled(self)


class ClassEditForm(forms.Form):
    name = forms.CharField(label=_("Tên lớp"), max_length=32)
    homeroom_teacher = StaffChoiceField(
        label=_("Giáo viên chủ nhiệm"), queryset=StaffMember.objects.none(), required=False
    )

    def __init__(self, *args: Any, actor: Actor, klass: SchoolClass, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"name": klass.name, "homeroom_teacher": klass.homeroom_teacher_id})
        super().__init__(*args, **kwargs)
        _choices(self, "homeroom_teacher").queryset = _school_staff(actor, klass.school)
        _styled(self)


class TeachingForm(forms.Form):
    subject = forms.ModelChoiceField(label=_("Môn học"), queryset=Subject.objects.none())
    staff = StaffChoiceField(label=_("Giáo viên giảng dạy"), queryset=StaffMember.objects.none())
    semester = forms.TypedChoiceField(
        label=_("Học kì"),
        choices=TeachingAssignment.SEMESTER_CHOICES,
        coerce=int,
        required=False,
        empty_value=TeachingAssignment.WHOLE_YEAR,
        initial=TeachingAssignment.WHOLE_YEAR,
        help_text=_("Chọn một học kì khi giáo viên chỉ dạy học kì đó; giáo viên cả năm giữ học kì còn lại."),
    )

    def __init__(self, *args: Any, actor: Actor, klass: SchoolClass, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        subjects = Subject.objects.order_by("name")
        level = klass.school.school_level
        if level in ("TH", "THCS"):
            subjects = subjects.filter(levels__contains=level)
        _choices(self, "subject").queryset = subjects
        _choices(self, "staff").queryset = _school_staff(actor, klass.school)
        _styled(self)


# ---------------------------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------------------------


class StaffCreateForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Đơn vị công tác"), queryset=OrgUnit.objects.none())
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    date_of_birth = _date_field(_("Ngày sinh"), required=False)
    sex = forms.ChoiceField(label=_("Giới tính"), choices=[("", "—"), *Sex.choices], required=False)
    phone = forms.CharField(label=_("Điện thoại"), max_length=20, required=False)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    personal_id = _personal_id_field()
    staff_code = forms.CharField(label=_("Mã cán bộ"), max_length=20, required=False)
    position = forms.ChoiceField(label=_("Chức vụ"), choices=StaffPosition.choices, initial=StaffPosition.TEACHER)
    subjects = forms.ModelMultipleChoiceField(
        label=_("Môn giảng dạy"),
        queryset=Subject.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    qualification = forms.ChoiceField(label=_("Trình độ"), choices=[("", "—"), *Qualification.choices], required=False)
    digital_skills_trained_on = _date_field(_("Ngày hoàn thành bồi dưỡng kỹ năng số"), required=False)
    digital_skills_course = forms.CharField(label=_("Khoá bồi dưỡng kỹ năng số"), max_length=255, required=False)
    signing_certificate_ref = forms.CharField(
        label=_("Chứng thư số (số serial / nhà cung cấp)"), max_length=255, required=False
    )

    PERSON = ("full_name", "date_of_birth", "sex", "phone", "email")

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        units = actor.units_with("staff.change").filter(valid_to__isnull=True).order_by("path")
        _choices(self, "unit").queryset = units
        if units.count() == 1:
            only = units.first()
            assert only is not None
            self.fields["unit"].initial = only.pk
            if only.school_level in ("TH", "THCS"):
                _choices(self, "subjects").queryset = Subject.objects.filter(
                    levels__contains=only.school_level
                ).order_by("name")
        _styled(self)


class StaffForm(forms.Form):
    full_name = forms.CharField(label=_("Họ và tên"), max_length=150)
    date_of_birth = _date_field(_("Ngày sinh"), required=False)
    sex = forms.ChoiceField(label=_("Giới tính"), choices=[("", "—"), *Sex.choices], required=False)
    phone = forms.CharField(label=_("Điện thoại"), max_length=20, required=False)
    email = forms.EmailField(label=_("Thư điện tử"), required=False)
    personal_id = forms.CharField(
        label=_("Số định danh cá nhân mới"),
        max_length=12,
        required=False,
        help_text=_("Để trống nếu không thay đổi. Số được mã hoá khi lưu."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    staff_code = forms.CharField(label=_("Mã cán bộ"), max_length=20, required=False)
    position = forms.ChoiceField(label=_("Chức vụ"), choices=StaffPosition.choices)
    subjects = forms.ModelMultipleChoiceField(
        label=_("Môn giảng dạy"),
        queryset=Subject.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    qualification = forms.ChoiceField(label=_("Trình độ"), choices=[("", "—"), *Qualification.choices], required=False)
    digital_skills_trained_on = _date_field(_("Ngày hoàn thành bồi dưỡng kỹ năng số"), required=False)
    digital_skills_course = forms.CharField(label=_("Khoá bồi dưỡng kỹ năng số"), max_length=255, required=False)
    signing_certificate_ref = forms.CharField(
        label=_("Chứng thư số (số serial / nhà cung cấp)"), max_length=255, required=False
    )
    is_active = forms.BooleanField(label=_("Đang công tác"), required=False)

    PERSON = ("full_name", "date_of_birth", "sex", "phone", "email")

    def __init__(self, *args: Any, member: StaffMember, **kwargs: Any) -> None:
        if not args or args[0] is None:
            person = member.person
            kwargs.setdefault(
                "initial",
                {
                    **{name: getattr(person, name) for name in self.PERSON},
                    "staff_code": member.staff_code,
                    "position": member.position,
                    "subjects": list(member.subjects.all()),
                    "qualification": member.qualification,
                    "digital_skills_trained_on": member.digital_skills_trained_on,
                    "digital_skills_course": member.digital_skills_course,
                    "signing_certificate_ref": member.signing_certificate_ref,
                    "is_active": member.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        level = member.org_unit.school_level
        if level in ("TH", "THCS"):
            _choices(self, "subjects").queryset = Subject.objects.filter(levels__contains=level)
        _styled(self)


# ---------------------------------------------------------------------------------------------
# School years and the roll-over
# ---------------------------------------------------------------------------------------------


class YearForm(forms.Form):
    code = forms.CharField(label=_("Mã năm học"), max_length=9, help_text=_("Ví dụ: 2026-2027"))
    starts_on = _date_field(_("Ngày bắt đầu năm học"))
    semester1_ends_on = _date_field(_("Ngày kết thúc học kỳ I"))
    semester2_starts_on = _date_field(_("Ngày bắt đầu học kỳ II"))
    ends_on = _date_field(_("Ngày kết thúc năm học"))
    is_current = forms.BooleanField(label=_("Đặt làm năm học hiện tại"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)


class RolloverForm(forms.Form):
    school = forms.ModelChoiceField(label=_("Trường"), queryset=OrgUnit.objects.none())
    from_year = forms.ModelChoiceField(label=_("Từ năm học"), queryset=SchoolYear.objects.none())
    to_year = forms.ModelChoiceField(label=_("Sang năm học"), queryset=SchoolYear.objects.none())

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = (
            actor.units_with("class.change")
            .filter(kind=OrgUnitKind.SCHOOL)
            .filter(pk__in=actor.units_with("student.change").values("pk"))
            .order_by("name")
        )
        years = selectors.school_year_list(actor=actor)
        _choices(self, "school").queryset = schools
        _choices(self, "from_year").queryset = years
        _choices(self, "to_year").queryset = years
        _styled(self)

"""Pages about people: students, classes, staff, guardians, school years and the year roll-over.

Views are thin: they parse input with small forms, read through the selectors (already filtered by
the permission policies) and write through the services. A row the actor may not see answers 404,
so ids cannot be probed; a visible row the actor may not change answers 403.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from edudx.core.api import Actor, DomainError, OrgUnit, OrgUnitKind, actor_for, policy_for
from edudx.core.exports import Column, export_response
from edudx.core.pagination import paginate

from .. import selectors, services
from ..enums import Qualification, Sex, StaffPosition, StudentStatus
from ..models import Grade, SchoolClass, SchoolYear, StaffMember, Student, Subject

__all__ = [
    "class_create",
    "class_detail",
    "class_list",
    "guardian_list",
    "staff_detail",
    "staff_edit",
    "staff_list",
    "student_detail",
    "student_list",
    "student_reveal_id",
    "student_transfer",
    "urlpatterns",
    "year_list",
    "year_rollover",
]

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def _unit_url(unit: OrgUnit) -> str | None:
    try:
        return reverse("core:unit_detail", args=[unit.pk])
    except NoReverseMatch:
        return None


def _crumbs(actor: Actor, unit: OrgUnit | None, *pages: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    """The organisation path (the unit's ancestors, itself included), then the page trail.

    Units link to their page only for actors who may open it (``org.view``); others see plain names.
    """
    crumbs: list[tuple[str, str | None]] = []
    if unit is not None:
        linked = bool(actor.grants_for("org.view"))
        crumbs = [(u.name, _unit_url(u) if linked else None) for u in unit.ancestors()]
    return crumbs + list(pages)


def _home_unit(actor: Actor, chosen: OrgUnit | None = None) -> OrgUnit | None:
    """The unit a list page is about: the chosen school, else the actor's first assigned unit."""
    if chosen is not None:
        return chosen
    if not actor.grants:
        return None
    return OrgUnit.objects.filter(pk=actor.grants[0].unit_id).first()


def _visible_schools(actor: Actor) -> Any:
    return policy_for(OrgUnit).visible(actor).filter(kind=OrgUnitKind.SCHOOL).order_by("name")


def _pick(queryset: Any, value: str | None) -> Any:
    """The row of ``queryset`` (already filtered by policy) whose id is ``value``, or None."""
    number = _int(value)
    return queryset.filter(pk=number).first() if number is not None else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def _styled(form: forms.Form) -> forms.Form:
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
    return forms.DateField(
        label=label,
        required=required,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


def _apply_error(form: forms.Form, exc: DomainError) -> None:
    form.add_error(None, exc.message)


def _no_store(response: HttpResponse) -> HttpResponseBase:
    response["Cache-Control"] = "no-store, private"
    response["Pragma"] = "no-cache"
    return response


# ---------------------------------------------------------------------------------------------
# Students
# ---------------------------------------------------------------------------------------------


def _current_class(student: Student) -> SchoolClass | None:
    current = getattr(student, "current_memberships", None)
    return current[0].school_class if current else None


STUDENT_COLUMNS = [
    Column("Mã học sinh", lambda s: s.moet_code, 16),
    Column("Họ và tên", lambda s: s.person.full_name, 28),
    Column("Ngày sinh", lambda s: s.person.date_of_birth, 12),
    Column("Giới tính", lambda s: s.person.get_sex_display(), 10),
    Column("Lớp", lambda s: getattr(_current_class(s), "name", ""), 10),
    Column("Trường", lambda s: s.school.name, 30),
    Column("Tình trạng", lambda s: s.get_status_display(), 16),
    Column("Số định danh", lambda s: s.person.personal_id_masked, 16),
]


@login_required
def student_list(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    schools = _visible_schools(actor)
    school = _pick(schools, request.GET.get("school"))
    years = selectors.school_year_list(actor=actor)
    year = _pick(years, request.GET.get("year"))
    classes = selectors.class_list(actor=actor, school=school, year=year)
    school_class = _pick(classes, request.GET.get("class"))
    grade = _pick(Grade.objects, request.GET.get("grade"))
    status = request.GET.get("status", "")
    if status not in StudentStatus.values:
        status = ""
    q = request.GET.get("q", "").strip()
    students = selectors.student_list(
        actor=actor, q=q, school=school, school_class=school_class, grade=grade, status=status, year=year
    )
    exported = export_response(request, students, STUDENT_COLUMNS, "hoc-sinh")
    if exported is not None:
        return exported
    # Guardians and students reach only related rows: they get the card view of their own children/self.
    family_view = not actor.subtree_paths("student.view")
    title = _("Con em của tôi") if family_view and actor.roles & {"guardian"} else _("Học sinh")
    context = {
        "title": title,
        "family_view": family_view,
        "q": q,
        "schools": schools,
        "years": years,
        "classes": classes,
        "grades": Grade.objects.all(),
        "statuses": StudentStatus.choices,
        "selected": {
            "school": school.pk if school else None,
            "year": year.pk if year else None,
            "class": school_class.pk if school_class else None,
            "grade": grade.pk if grade else None,
            "status": status,
        },
        "crumbs": _crumbs(actor, _home_unit(actor, school), (title, None)),
        **paginate(request, students),
    }
    return render(request, "registry/people/student_list.html", context)


@login_required
def student_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    student = get_object_or_404(selectors.student_list(actor=actor), pk=pk)
    history = selectors.student_history(student=student)
    current_class = _current_class(student)
    if current_class is not None:
        current_class = SchoolClass.objects.select_related("homeroom_teacher__person", "year").get(pk=current_class.pk)
    context = {
        "student": student,
        "person": student.person,
        "current_class": current_class,
        "guardians": selectors.student_guardians(actor=actor, student=student),
        "history": history,
        "can_change": actor.can_in("student.change", student.school),
        "can_reveal": student.person.has_personal_id and policy_for(Student).allows(actor, "reveal", student),
        "crumbs": _crumbs(
            actor,
            student.school,
            (_("Học sinh"), reverse("registry:student_list")),
            (student.person.full_name, None),
        ),
    }
    return render(request, "registry/people/student_detail.html", context)


class TransferForm(forms.Form):
    to_school = forms.ModelChoiceField(label="Trường chuyển đến", queryset=OrgUnit.objects.none())
    on = _date_field("Ngày chuyển")
    reason = forms.CharField(label="Lý do chuyển trường", max_length=255, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, current_school: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Any open school may receive a pupil: the list of schools is public information.
        _choices(self, "to_school").queryset = (
            OrgUnit.objects.schools().open_on(timezone.localdate()).exclude(pk=current_school.pk).order_by("name")
        )
        self.fields["on"].initial = timezone.localdate()
        _styled(self)


@login_required
def student_transfer(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    student = get_object_or_404(selectors.student_list(actor=actor), pk=pk)
    if not actor.can_in("student.change", student.school):
        raise PermissionDenied
    form = TransferForm(request.POST or None, current_school=student.school)
    if request.method == "POST" and form.is_valid():
        try:
            services.student_transfer(
                actor=actor,
                student=student,
                to_school=form.cleaned_data["to_school"],
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(
                request,
                _("Đã chuyển học sinh %(name)s sang %(school)s.")
                % {"name": student.person.full_name, "school": form.cleaned_data["to_school"].name},
            )
            return redirect("registry:student_list")
    context = {
        "student": student,
        "form": form,
        "crumbs": _crumbs(
            actor,
            student.school,
            (_("Học sinh"), reverse("registry:student_list")),
            (student.person.full_name, reverse("registry:student_detail", args=[student.pk])),
            (_("Chuyển trường"), None),
        ),
    }
    return render(request, "registry/people/student_transfer.html", context)


class RevealForm(forms.Form):
    reason = forms.CharField(
        label="Lý do cần xem số định danh đầy đủ",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Lượt xem được ghi lại: ai xem, lúc nào, vì sao.",
    )


@login_required
def student_reveal_id(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    student = get_object_or_404(selectors.student_list(actor=actor), pk=pk)
    if not policy_for(Student).allows(actor, "reveal", student):
        raise PermissionDenied
    form = _styled(RevealForm(request.POST or None))
    number = ""
    if request.method == "POST" and form.is_valid():
        try:
            number = services.personal_id_reveal(actor=actor, person=student.person, reason=form.cleaned_data["reason"])
        except DomainError as exc:
            _apply_error(form, exc)
    context = {
        "student": student,
        "form": form,
        "number": number,
        "crumbs": _crumbs(
            actor,
            student.school,
            (_("Học sinh"), reverse("registry:student_list")),
            (student.person.full_name, reverse("registry:student_detail", args=[student.pk])),
            (_("Xem số định danh"), None),
        ),
    }
    return _no_store(render(request, "registry/people/student_reveal_id.html", context))


# ---------------------------------------------------------------------------------------------
# Classes
# ---------------------------------------------------------------------------------------------

CLASS_COLUMNS = [
    Column("Năm học", lambda c: c.year.code, 12),
    Column("Trường", lambda c: c.school.name, 30),
    Column("Khối", lambda c: c.grade.name, 14),
    Column("Lớp", lambda c: c.name, 10),
    Column("Giáo viên chủ nhiệm", lambda c: c.homeroom_teacher.person.full_name if c.homeroom_teacher else "", 28),
    Column("Sĩ số", lambda c: c.member_count, 8),
]

MEMBER_COLUMNS = [
    Column("STT", lambda m: m.index, 6),
    Column("Mã học sinh", lambda m: m.student.moet_code, 16),
    Column("Họ và tên", lambda m: m.student.person.full_name, 28),
    Column("Ngày sinh", lambda m: m.student.person.date_of_birth, 12),
    Column("Giới tính", lambda m: m.student.person.get_sex_display(), 10),
    Column("Số định danh", lambda m: m.student.person.personal_id_masked, 16),
]


def _current_year() -> SchoolYear | None:
    return SchoolYear.objects.filter(is_current=True).first()


@login_required
def class_list(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    schools = _visible_schools(actor)
    school = _pick(schools, request.GET.get("school"))
    years = selectors.school_year_list(actor=actor)
    if "year" in request.GET:
        year = _pick(years, request.GET.get("year"))
    else:
        year = years.filter(is_current=True).first()
    grade = _pick(Grade.objects, request.GET.get("grade"))
    q = request.GET.get("q", "").strip()
    classes = selectors.class_list(actor=actor, q=q, school=school, year=year, grade=grade)
    exported = export_response(request, classes, CLASS_COLUMNS, "lop-hoc")
    if exported is not None:
        return exported
    context = {
        "q": q,
        "schools": schools,
        "years": years,
        "grades": Grade.objects.all(),
        "selected": {
            "school": school.pk if school else None,
            "year": year.pk if year else None,
            "grade": grade.pk if grade else None,
        },
        "can_create": bool(actor.subtree_paths("class.change")),
        "can_rollover": bool(actor.subtree_paths("class.change")) and bool(actor.subtree_paths("student.change")),
        "crumbs": _crumbs(actor, _home_unit(actor, school), (_("Lớp học"), None)),
        **paginate(request, classes),
    }
    return render(request, "registry/people/class_list.html", context)


@login_required
def class_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    klass = get_object_or_404(selectors.class_list(actor=actor), pk=pk)
    members = list(selectors.class_members(actor=actor, school_class=klass))
    for index, membership in enumerate(members, start=1):
        membership.index = index  # type: ignore[attr-defined]
    exported = export_response(request, members, MEMBER_COLUMNS, f"lop-{klass.name}-{klass.year.code}")
    if exported is not None:
        return exported
    context = {
        "klass": klass,
        "members": members,
        "assignments": selectors.teaching_assignment_list(actor=actor, school_class=klass),
        "can_change": actor.can_in("class.change", klass.school),
        "query_without_page": "",
        "crumbs": _crumbs(
            actor,
            klass.school,
            (_("Lớp học"), reverse("registry:class_list")),
            (f"{klass.name} ({klass.year.code})", None),
        ),
    }
    return render(request, "registry/people/class_detail.html", context)


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.person.full_name} – {obj.org_unit.name}"


class ClassForm(forms.Form):
    school = forms.ModelChoiceField(label="Trường", queryset=OrgUnit.objects.none())
    year = forms.ModelChoiceField(label="Năm học", queryset=SchoolYear.objects.none())
    grade = forms.ModelChoiceField(label="Khối lớp / nhóm tuổi", queryset=Grade.objects.all())
    name = forms.CharField(label="Tên lớp", max_length=32, help_text="Ví dụ: 6A1, MG4B")
    homeroom_teacher = StaffChoiceField(
        label="Giáo viên chủ nhiệm", queryset=StaffMember.objects.none(), required=False
    )

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = actor.units_with("class.change").filter(kind=OrgUnitKind.SCHOOL).order_by("name")
        _choices(self, "school").queryset = schools
        _choices(self, "year").queryset = selectors.school_year_list(actor=actor)
        _choices(self, "homeroom_teacher").queryset = selectors.staff_list(actor=actor, active=True).filter(
            org_unit__in=schools
        )
        current = _current_year()
        if current is not None:
            self.fields["year"].initial = current.pk
        if schools.count() == 1:
            self.fields["school"].initial = schools.first().pk  # type: ignore[union-attr]
        _styled(self)


@login_required
def class_create(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    if not actor.subtree_paths("class.change"):
        raise PermissionDenied
    form = ClassForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        try:
            klass = services.class_create(actor=actor, **form.cleaned_data)
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Đã tạo lớp %(name)s.") % {"name": klass.name})
            return redirect("registry:class_detail", pk=klass.pk)
    context = {
        "form": form,
        "crumbs": _crumbs(
            actor, _home_unit(actor), (_("Lớp học"), reverse("registry:class_list")), (_("Tạo lớp"), None)
        ),
    }
    return render(request, "registry/people/class_form.html", context)


# ---------------------------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------------------------

STAFF_COLUMNS = [
    Column("Mã cán bộ", lambda s: s.staff_code, 12),
    Column("Họ và tên", lambda s: s.person.full_name, 28),
    Column("Đơn vị", lambda s: s.org_unit.name, 30),
    Column("Chức vụ", lambda s: s.get_position_display(), 16),
    Column("Môn", lambda s: ", ".join(sub.name for sub in s.subjects.all()), 24),
    Column("Trình độ", lambda s: s.get_qualification_display(), 12),
    Column("Bồi dưỡng kỹ năng số", lambda s: s.digital_skills_trained_on, 14),
    Column("Khoá bồi dưỡng", lambda s: s.digital_skills_course, 24),
    Column("Chứng thư số", lambda s: s.signing_certificate_ref, 24),
    Column("Đang công tác", lambda s: "Có" if s.is_active else "Không", 10),
]


@login_required
def staff_list(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    units = policy_for(OrgUnit).visible(actor).order_by("path")
    unit = _pick(units, request.GET.get("unit"))
    position = request.GET.get("position", "")
    if position not in StaffPosition.values:
        position = ""
    q = request.GET.get("q", "").strip()
    staff = selectors.staff_list(actor=actor, q=q, unit=unit, position=position)
    exported = export_response(request, staff, STAFF_COLUMNS, "can-bo")
    if exported is not None:
        return exported
    context = {
        "q": q,
        "units": units,
        "positions": StaffPosition.choices,
        "selected": {"unit": unit.pk if unit else None, "position": position},
        "crumbs": _crumbs(actor, _home_unit(actor, unit), (_("Cán bộ, giáo viên"), None)),
        **paginate(request, staff),
    }
    return render(request, "registry/people/staff_list.html", context)


@login_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    member = get_object_or_404(selectors.staff_list(actor=actor), pk=pk)
    context = {
        "member": member,
        "person": member.person,
        "assignments": selectors.teaching_assignment_list(actor=actor, staff=member),
        "homeroom_classes": selectors.class_list(actor=actor).filter(homeroom_teacher=member),
        "can_change": policy_for(StaffMember).allows(actor, "change", member),
        "crumbs": _crumbs(
            actor,
            member.org_unit,
            (_("Cán bộ, giáo viên"), reverse("registry:staff_list")),
            (member.person.full_name, None),
        ),
    }
    return render(request, "registry/people/staff_detail.html", context)


class StaffForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", max_length=150)
    date_of_birth = _date_field("Ngày sinh", required=False)
    sex = forms.ChoiceField(label="Giới tính", choices=[("", "—"), *Sex.choices], required=False)
    phone = forms.CharField(label="Điện thoại", max_length=20, required=False)
    email = forms.EmailField(label="Thư điện tử", required=False)
    personal_id = forms.CharField(
        label="Số định danh cá nhân mới",
        max_length=12,
        required=False,
        help_text="Để trống nếu không thay đổi. Số được mã hoá khi lưu.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    staff_code = forms.CharField(label="Mã cán bộ", max_length=20, required=False)
    position = forms.ChoiceField(label="Chức vụ", choices=StaffPosition.choices)
    subjects = forms.ModelMultipleChoiceField(
        label="Môn giảng dạy",
        queryset=Subject.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    qualification = forms.ChoiceField(label="Trình độ", choices=[("", "—"), *Qualification.choices], required=False)
    digital_skills_trained_on = _date_field("Ngày hoàn thành bồi dưỡng kỹ năng số", required=False)
    digital_skills_course = forms.CharField(label="Khoá bồi dưỡng kỹ năng số", max_length=255, required=False)
    signing_certificate_ref = forms.CharField(
        label="Chứng thư số (số serial / nhà cung cấp)", max_length=255, required=False
    )
    is_active = forms.BooleanField(label="Đang công tác", required=False)

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


@login_required
def staff_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    member = get_object_or_404(selectors.staff_list(actor=actor), pk=pk)
    if not policy_for(StaffMember).allows(actor, "change", member):
        raise PermissionDenied
    form = StaffForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        person_values = {name: data.pop(name) for name in StaffForm.PERSON}
        person_values["sex"] = person_values["sex"] or ""
        personal_id = data.pop("personal_id") or None
        subjects = list(data.pop("subjects"))
        try:
            services.staff_update(
                actor=actor,
                staff=member,
                subjects=subjects,
                personal_id=personal_id,
                person_values=person_values,
                **data,
            )
        except DomainError as exc:
            _apply_error(form, exc)
        else:
            messages.success(request, _("Đã lưu hồ sơ cán bộ."))
            return redirect("registry:staff_detail", pk=member.pk)
    context = {
        "member": member,
        "form": form,
        "crumbs": _crumbs(
            actor,
            member.org_unit,
            (_("Cán bộ, giáo viên"), reverse("registry:staff_list")),
            (member.person.full_name, reverse("registry:staff_detail", args=[member.pk])),
            (_("Sửa"), None),
        ),
    }
    return render(request, "registry/people/staff_form.html", context)


# ---------------------------------------------------------------------------------------------
# Guardians
# ---------------------------------------------------------------------------------------------

GUARDIAN_COLUMNS = [
    Column("Phụ huynh", lambda g: g.guardian.full_name, 28),
    Column("Quan hệ", lambda g: g.get_relation_display(), 12),
    Column("Liên hệ chính", lambda g: "Có" if g.is_primary else "", 10),
    Column("Điện thoại", lambda g: g.guardian.phone, 14),
    Column("Thư điện tử", lambda g: g.guardian.email, 24),
    Column("Học sinh", lambda g: g.student.person.full_name, 28),
    Column("Mã học sinh", lambda g: g.student.moet_code, 16),
    Column("Trường", lambda g: g.student.school.name, 30),
]


@login_required
def guardian_list(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    schools = _visible_schools(actor)
    school = _pick(schools, request.GET.get("school"))
    q = request.GET.get("q", "").strip()
    links = selectors.guardian_list(actor=actor, q=q, school=school)
    exported = export_response(request, links, GUARDIAN_COLUMNS, "phu-huynh")
    if exported is not None:
        return exported
    context = {
        "q": q,
        "schools": schools,
        "selected": {"school": school.pk if school else None},
        "crumbs": _crumbs(actor, _home_unit(actor, school), (_("Phụ huynh"), None)),
        **paginate(request, links),
    }
    return render(request, "registry/people/guardian_list.html", context)


# ---------------------------------------------------------------------------------------------
# School years and the roll-over
# ---------------------------------------------------------------------------------------------


class YearForm(forms.Form):
    code = forms.CharField(label="Mã năm học", max_length=9, help_text="Ví dụ: 2026-2027")
    starts_on = _date_field("Ngày bắt đầu năm học")
    semester1_ends_on = _date_field("Ngày kết thúc học kỳ I")
    semester2_starts_on = _date_field("Ngày bắt đầu học kỳ II")
    ends_on = _date_field("Ngày kết thúc năm học")
    is_current = forms.BooleanField(label="Đặt làm năm học hiện tại", required=False)


YEAR_COLUMNS = [
    Column("Năm học", lambda y: y.code, 12),
    Column("Bắt đầu", lambda y: y.starts_on, 12),
    Column("Kết thúc học kỳ I", lambda y: y.semester1_ends_on, 14),
    Column("Bắt đầu học kỳ II", lambda y: y.semester2_starts_on, 14),
    Column("Kết thúc", lambda y: y.ends_on, 12),
    Column("Hiện tại", lambda y: "Có" if y.is_current else "", 8),
]


@login_required
def year_list(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    years = selectors.school_year_list(actor=actor)
    exported = export_response(request, years, YEAR_COLUMNS, "nam-hoc")
    if exported is not None:
        return exported
    can_manage = bool(actor.subtree_paths("year.manage"))
    form = _styled(YearForm(request.POST or None)) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                year = services.school_year_create(actor=actor, **form.cleaned_data)
            except DomainError as exc:
                _apply_error(form, exc)
            else:
                messages.success(request, _("Đã tạo năm học %(code)s.") % {"code": year.code})
                return redirect("registry:year_list")
    context = {
        "form": form,
        "can_rollover": bool(actor.subtree_paths("class.change")) and bool(actor.subtree_paths("student.change")),
        "crumbs": _crumbs(actor, _home_unit(actor), (_("Năm học"), None)),
        **paginate(request, years),
    }
    return render(request, "registry/people/year_list.html", context)


class RolloverForm(forms.Form):
    school = forms.ModelChoiceField(label="Trường", queryset=OrgUnit.objects.none())
    from_year = forms.ModelChoiceField(label="Từ năm học", queryset=SchoolYear.objects.none())
    to_year = forms.ModelChoiceField(label="Sang năm học", queryset=SchoolYear.objects.none())

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


def _default_rollover_initial(actor: Actor) -> dict[str, Any]:
    initial: dict[str, Any] = {}
    schools = actor.units_with("class.change").filter(kind=OrgUnitKind.SCHOOL)
    if schools.count() == 1:
        initial["school"] = schools.first().pk  # type: ignore[union-attr]
    current = _current_year()
    if current is not None:
        initial["from_year"] = current.pk
        following = SchoolYear.objects.filter(starts_on__gt=current.starts_on).order_by("starts_on").first()
        if following is not None:
            initial["to_year"] = following.pk
    return initial


@login_required
def year_rollover(request: HttpRequest) -> HttpResponseBase:
    """GET with a school and two years shows the plan; POST with ``confirm`` carries it out."""
    actor = actor_for(request)
    if not (actor.subtree_paths("class.change") and actor.subtree_paths("student.change")):
        raise PermissionDenied
    data = request.POST if request.method == "POST" else (request.GET if "school" in request.GET else None)
    form = RolloverForm(data, actor=actor, initial=_default_rollover_initial(actor))
    plan = None
    if data is not None and form.is_valid():
        args = {
            "actor": actor,
            "school": form.cleaned_data["school"],
            "from_year": form.cleaned_data["from_year"],
            "to_year": form.cleaned_data["to_year"],
        }
        try:
            if request.method == "POST" and request.POST.get("confirm") == "1":
                done = services.year_rollover_execute(**args)
                messages.success(
                    request,
                    _("Đã chuyển năm học: %(promoted)s học sinh lên lớp, %(completed)s học sinh hoàn thành cấp học.")
                    % {"promoted": done.promoted_count, "completed": done.completing_count},
                )
                url = reverse("registry:class_list")
                return redirect(f"{url}?school={done.school.pk}&year={done.to_year.pk}")
            plan = services.year_rollover_preview(**args)
        except DomainError as exc:
            _apply_error(form, exc)
            if request.method == "POST":
                plan = services.year_rollover_preview(**args)
    context = {
        "form": form,
        "plan": plan,
        "crumbs": _crumbs(
            actor,
            form.cleaned_data.get("school") if plan else _home_unit(actor),
            (_("Năm học"), reverse("registry:year_list")),
            (_("Chuyển năm học"), None),
        ),
    }
    return render(request, "registry/people/year_rollover.html", context)


urlpatterns = [
    path("students/", student_list, name="student_list"),
    path("students/<int:pk>/", student_detail, name="student_detail"),
    path("students/<int:pk>/transfer/", student_transfer, name="student_transfer"),
    path("students/<int:pk>/reveal-id/", student_reveal_id, name="student_reveal_id"),
    path("classes/", class_list, name="class_list"),
    path("classes/new/", class_create, name="class_create"),
    path("classes/<int:pk>/", class_detail, name="class_detail"),
    path("staff/", staff_list, name="staff_list"),
    path("staff/<int:pk>/", staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", staff_edit, name="staff_edit"),
    path("guardians/", guardian_list, name="guardian_list"),
    path("years/", year_list, name="year_list"),
    path("years/rollover/", year_rollover, name="year_rollover"),
]

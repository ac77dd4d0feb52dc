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
from ..enums import GuardianRelation, Qualification, Sex, StaffPosition, StudentStatus
from ..models import ClassMembership, Grade, SchoolClass, SchoolYear, StaffMember, Student, Subject

__all__ = [
    "class_create",
    "class_detail",
    "class_edit",
    "class_list",
    "class_teaching_remove",
    "class_teaching_set",
    "guardian_link_add",
    "guardian_link_remove",
    "guardian_list",
    "staff_create",
    "staff_detail",
    "staff_edit",
    "staff_list",
    "student_create",
    "student_detail",
    "student_edit",
    "student_list",
    "student_move",
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


def _apply_error(form: forms.Form, exc: DomainError, hints: tuple[tuple[str, str], ...] = ()) -> None:
    """Show a service's message on the field it is about, else above the form.

    A service names the field in ``details`` (``{"personal_id": [...]}``) where it can; otherwise a
    word of the message points to the field (``hints``: text → field name); anything else is general.
    """
    details = exc.details
    if isinstance(details, dict):
        named = [name for name in details if name in form.fields]
        if named:
            for name in named:
                form.add_error(name, exc.message)
            return
    lowered = exc.message.lower()
    for needle, name in hints:
        if needle.lower() in lowered and name in form.fields:
            form.add_error(name, exc.message)
            return
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
        "can_create": bool(actor.subtree_paths("student.change")),
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
        "can_change_guardians": actor.can_in("guardian.change", student.school),
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
        "can_create": bool(actor.subtree_paths("staff.change")),
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


# ---------------------------------------------------------------------------------------------
# Forms that write: students, class moves, guardians, classes, teaching, new staff
# ---------------------------------------------------------------------------------------------

# Which field a service message is about, by a word it contains (see _apply_error).
PERSON_HINTS = (
    ("định danh", "personal_id"),
    ("Ngày sinh", "date_of_birth"),
    ("Họ và tên", "full_name"),
    ("Giới tính", "sex"),
)
STUDENT_HINTS = (("Mã học sinh", "moet_code"), ("Lớp", "school_class"), ("Trường", "school"), *PERSON_HINTS)
STAFF_HINTS = (
    ("Chức vụ", "position"),
    ("Trình độ", "qualification"),
    ("Ngày hoàn thành bồi dưỡng", "digital_skills_trained_on"),
    ("khoá bồi dưỡng", "digital_skills_course"),
    ("Môn", "subjects"),
    *PERSON_HINTS,
)


def _personal_id_field(label: str = "Số định danh cá nhân", help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=12,
        required=False,
        help_text=help_text or "12 chữ số, được mã hoá khi lưu và chỉ hiển thị 3 số cuối.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class ClassChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.year.code}) – {obj.school.name}"


class StudentPersonForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", max_length=150)
    date_of_birth = _date_field("Ngày sinh", required=False)
    sex = forms.ChoiceField(label="Giới tính", choices=[("", "—"), *Sex.choices], required=False)
    ethnicity = forms.CharField(label="Dân tộc", max_length=50, required=False, initial="Kinh")
    personal_id = _personal_id_field()
    address = forms.CharField(label="Địa chỉ thường trú", max_length=255, required=False)

    PERSON = ("full_name", "date_of_birth", "sex", "ethnicity", "address")


class StudentCreateForm(StudentPersonForm):
    moet_code = forms.CharField(
        label="Mã học sinh (CSDL ngành)", max_length=20, help_text="Mã định danh do CSDL ngành cấp; không đổi về sau."
    )
    school = forms.ModelChoiceField(label="Trường", queryset=OrgUnit.objects.none())
    school_class = ClassChoiceField(label="Lớp (năm học hiện tại)", queryset=SchoolClass.objects.none(), required=False)
    enrolled_on = _date_field("Ngày vào trường", required=False)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        schools = actor.units_with("student.change").filter(kind=OrgUnitKind.SCHOOL, valid_to__isnull=True)
        schools = schools.order_by("name")
        _choices(self, "school").queryset = schools
        current = _current_year()
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
            self.add_error("school_class", "Lớp được chọn không thuộc trường này.")
        return data


@login_required
def student_create(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    if not actor.subtree_paths("student.change"):
        raise PermissionDenied
    form = StudentCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["sex"] = data["sex"] or ""
        try:
            student = services.student_create(actor=actor, **data)
        except DomainError as exc:
            _apply_error(form, exc, STUDENT_HINTS)
        else:
            messages.success(request, _("Đã thêm học sinh %(name)s.") % {"name": student.person.full_name})
            return redirect("registry:student_detail", pk=student.pk)
    context = {
        "form": form,
        "title": _("Thêm học sinh"),
        "cancel_url": reverse("registry:student_list"),
        "crumbs": _crumbs(
            actor, _home_unit(actor), (_("Học sinh"), reverse("registry:student_list")), (_("Thêm học sinh"), None)
        ),
    }
    return render(request, "registry/people/student_form.html", context)


class StudentEditForm(StudentPersonForm):
    def __init__(self, *args: Any, student: Student, **kwargs: Any) -> None:
        if not args or args[0] is None:
            person = student.person
            kwargs.setdefault("initial", {name: getattr(person, name) for name in self.PERSON})
        super().__init__(*args, **kwargs)
        self.fields["personal_id"].label = "Số định danh cá nhân mới"
        self.fields["personal_id"].help_text = "Để trống nếu không thay đổi. Số được mã hoá khi lưu."
        _styled(self)


def _student_for_change(request: HttpRequest, pk: int, capability: str) -> tuple[Actor, Student]:
    """The visible student ``pk`` (else 404) whose school the actor may change in (else 403)."""
    actor = actor_for(request)
    student = get_object_or_404(selectors.student_list(actor=actor), pk=pk)
    if not actor.can_in(capability, student.school):
        raise PermissionDenied
    return actor, student


def _student_crumbs(actor: Actor, student: Student, page: str) -> list[tuple[str, str | None]]:
    return _crumbs(
        actor,
        student.school,
        (_("Học sinh"), reverse("registry:student_list")),
        (student.person.full_name, reverse("registry:student_detail", args=[student.pk])),
        (page, None),
    )


@login_required
def student_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor, student = _student_for_change(request, pk, "student.change")
    form = StudentEditForm(request.POST or None, student=student)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["sex"] = data["sex"] or ""
        personal_id = data.pop("personal_id") or None
        try:
            services.student_update(actor=actor, student=student, personal_id=personal_id, **data)
        except DomainError as exc:
            _apply_error(form, exc, STUDENT_HINTS)
        else:
            messages.success(request, _("Đã lưu hồ sơ học sinh."))
            return redirect("registry:student_detail", pk=student.pk)
    context = {
        "form": form,
        "student": student,
        "title": _("Sửa hồ sơ học sinh"),
        "cancel_url": reverse("registry:student_detail", args=[student.pk]),
        "crumbs": _student_crumbs(actor, student, _("Sửa")),
    }
    return render(request, "registry/people/student_form.html", context)


def _open_membership(student: Student) -> Any:
    """The student's class membership in the most recent year, if still open."""
    return (
        ClassMembership.objects.filter(student=student, left_on__isnull=True)
        .select_related("school_class__year", "school_class__school")
        .order_by("-school_class__year__starts_on")
        .first()
    )


class MoveForm(forms.Form):
    to_class = ClassChoiceField(label="Chuyển sang lớp", queryset=SchoolClass.objects.none())
    on = _date_field("Ngày chuyển lớp")

    def __init__(self, *args: Any, classes: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "to_class").queryset = classes
        self.fields["on"].initial = timezone.localdate()
        _styled(self)


@login_required
def student_move(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Move a student to another class of the same school and year (or place one with no class)."""
    actor, student = _student_for_change(request, pk, "student.change")
    current = _open_membership(student)
    year = current.school_class.year if current is not None else _current_year()
    classes = SchoolClass.objects.filter(school=student.school, year=year).select_related("school", "year")
    if current is not None:
        classes = classes.exclude(pk=current.school_class_id)
    form = MoveForm(request.POST or None, classes=classes.order_by("name"))
    if request.method == "POST" and form.is_valid():
        target, on = form.cleaned_data["to_class"], form.cleaned_data["on"]
        try:
            if current is not None:
                services.class_membership_move(actor=actor, student=student, to_class=target, on=on)
            else:
                services.class_membership_add(actor=actor, student=student, school_class=target, on=on)
        except DomainError as exc:
            _apply_error(form, exc, (("Ngày", "on"), ("lớp", "to_class")))
        else:
            messages.success(
                request,
                _("Đã chuyển học sinh %(name)s sang lớp %(class)s.")
                % {"name": student.person.full_name, "class": target.name},
            )
            return redirect("registry:student_detail", pk=student.pk)
    context = {
        "form": form,
        "student": student,
        "current": current,
        "crumbs": _student_crumbs(actor, student, _("Chuyển lớp")),
    }
    return render(request, "registry/people/student_move.html", context)


class GuardianForm(forms.Form):
    relation = forms.ChoiceField(label="Quan hệ với học sinh", choices=GuardianRelation.choices)
    is_primary = forms.BooleanField(label="Là người liên hệ chính", required=False)
    existing_personal_id = _personal_id_field(
        "Số định danh của người đã có trong hệ thống",
        help_text="Nhập đủ 12 chữ số để liên kết với người đã có hồ sơ (ví dụ cán bộ, phụ huynh của anh chị em).",
    )
    full_name = forms.CharField(label="Họ và tên", max_length=150, required=False)
    phone = forms.CharField(label="Điện thoại", max_length=20, required=False)
    email = forms.EmailField(label="Thư điện tử", required=False)
    personal_id = _personal_id_field()

    EXISTING = ("existing_personal_id",)
    NEW = ("full_name", "phone", "email", "personal_id")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("existing_personal_id") and not data.get("full_name"):
            self.add_error("full_name", "Nhập họ và tên người mới, hoặc số định danh của người đã có trong hệ thống.")
        return data


@login_required
def guardian_link_add(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor, student = _student_for_change(request, pk, "guardian.change")
    form = GuardianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        guardian = None
        if data["existing_personal_id"]:
            guardian = services.person_find_by_personal_id(actor=actor, value=data["existing_personal_id"])
            if guardian is None:
                form.add_error(
                    "existing_personal_id", "Không tìm thấy người có số định danh này trong phạm vi được xem."
                )
        if not form.errors:
            values: dict[str, Any] = {}
            if guardian is None:
                values = {
                    "full_name": data["full_name"],
                    "phone": data["phone"],
                    "email": data["email"],
                    "personal_id": data["personal_id"],
                }
            try:
                link = services.guardian_link_create(
                    actor=actor,
                    student=student,
                    relation=data["relation"],
                    is_primary=data["is_primary"],
                    guardian=guardian,
                    **values,
                )
            except DomainError as exc:
                hints = (("Quan hệ", "relation"),) + (
                    (("phụ huynh", "existing_personal_id"),) if guardian is not None else PERSON_HINTS
                )
                _apply_error(form, exc, hints)
            else:
                messages.success(
                    request,
                    _("Đã liên kết phụ huynh %(guardian)s với học sinh %(student)s.")
                    % {"guardian": link.guardian.full_name, "student": student.person.full_name},
                )
                return redirect("registry:student_detail", pk=student.pk)
    context = {
        "form": form,
        "student": student,
        "existing_fields": [form[name] for name in GuardianForm.EXISTING],
        "new_fields": [form[name] for name in GuardianForm.NEW],
        "link_fields": [form["relation"], form["is_primary"]],
        "crumbs": _student_crumbs(actor, student, _("Thêm phụ huynh")),
    }
    return render(request, "registry/people/guardian_form.html", context)


@login_required
def guardian_link_remove(request: HttpRequest, pk: int, link_pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    student = get_object_or_404(selectors.student_list(actor=actor), pk=pk)
    link = get_object_or_404(selectors.student_guardians(actor=actor, student=student), pk=link_pk)
    if not actor.can_in("guardian.change", student.school):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        try:
            services.guardian_link_remove(actor=actor, link=link)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("Đã gỡ liên kết phụ huynh %(guardian)s khỏi học sinh %(student)s.")
                % {"guardian": link.guardian.full_name, "student": student.person.full_name},
            )
            return redirect("registry:student_detail", pk=student.pk)
    context = {
        "student": student,
        "link": link,
        "error": error,
        "crumbs": _student_crumbs(actor, student, _("Gỡ phụ huynh")),
    }
    return render(request, "registry/people/guardian_remove.html", context)


def _class_for_change(request: HttpRequest, pk: int) -> tuple[Actor, SchoolClass]:
    actor = actor_for(request)
    klass = get_object_or_404(selectors.class_list(actor=actor), pk=pk)
    if not actor.can_in("class.change", klass.school):
        raise PermissionDenied
    return actor, klass


def _class_crumbs(actor: Actor, klass: SchoolClass, page: str) -> list[tuple[str, str | None]]:
    return _crumbs(
        actor,
        klass.school,
        (_("Lớp học"), reverse("registry:class_list")),
        (f"{klass.name} ({klass.year.code})", reverse("registry:class_detail", args=[klass.pk])),
        (page, None),
    )


def _school_staff(actor: Actor, school: OrgUnit) -> Any:
    return selectors.staff_list(actor=actor, active=True).filter(org_unit=school)


class ClassEditForm(forms.Form):
    name = forms.CharField(label="Tên lớp", max_length=32)
    homeroom_teacher = StaffChoiceField(
        label="Giáo viên chủ nhiệm", queryset=StaffMember.objects.none(), required=False
    )

    def __init__(self, *args: Any, actor: Actor, klass: SchoolClass, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"name": klass.name, "homeroom_teacher": klass.homeroom_teacher_id})
        super().__init__(*args, **kwargs)
        _choices(self, "homeroom_teacher").queryset = _school_staff(actor, klass.school)
        _styled(self)


@login_required
def class_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor, klass = _class_for_change(request, pk)
    form = ClassEditForm(request.POST or None, actor=actor, klass=klass)
    if request.method == "POST" and form.is_valid():
        try:
            services.class_update(actor=actor, school_class=klass, **form.cleaned_data)
        except DomainError as exc:
            _apply_error(form, exc, (("Giáo viên", "homeroom_teacher"), ("Lớp", "name"), ("Tên lớp", "name")))
        else:
            messages.success(request, _("Đã lưu lớp %(name)s.") % {"name": form.cleaned_data["name"]})
            return redirect("registry:class_detail", pk=klass.pk)
    context = {
        "form": form,
        "title": _("Sửa lớp %(name)s") % {"name": klass.name},
        "submit": _("Lưu"),
        "cancel_url": reverse("registry:class_detail", args=[klass.pk]),
        "crumbs": _class_crumbs(actor, klass, _("Sửa")),
    }
    return render(request, "registry/people/class_form.html", context)


class TeachingForm(forms.Form):
    subject = forms.ModelChoiceField(label="Môn học", queryset=Subject.objects.none())
    staff = StaffChoiceField(label="Giáo viên giảng dạy", queryset=StaffMember.objects.none())

    def __init__(self, *args: Any, actor: Actor, klass: SchoolClass, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        subjects = Subject.objects.order_by("name")
        level = klass.school.school_level
        if level in ("TH", "THCS"):
            subjects = subjects.filter(levels__contains=level)
        _choices(self, "subject").queryset = subjects
        _choices(self, "staff").queryset = _school_staff(actor, klass.school)
        _styled(self)


@login_required
def class_teaching_set(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Who teaches a subject to the class; choosing a subject already taught replaces its teacher."""
    actor, klass = _class_for_change(request, pk)
    form = TeachingForm(request.POST or None, actor=actor, klass=klass)
    if request.method == "POST" and form.is_valid():
        try:
            services.teaching_assignment_set(actor=actor, school_class=klass, **form.cleaned_data)
        except DomainError as exc:
            _apply_error(form, exc, (("Giáo viên", "staff"), ("Môn", "subject")))
        else:
            messages.success(
                request,
                _("Đã phân công %(teacher)s dạy %(subject)s lớp %(class)s.")
                % {
                    "teacher": form.cleaned_data["staff"].person.full_name,
                    "subject": form.cleaned_data["subject"].name,
                    "class": klass.name,
                },
            )
            return redirect("registry:class_detail", pk=klass.pk)
    context = {
        "form": form,
        "title": _("Phân công giảng dạy lớp %(name)s") % {"name": klass.name},
        "intro": _("Nếu môn đã có giáo viên, giáo viên mới sẽ thay thế phân công cũ."),
        "submit": _("Phân công"),
        "cancel_url": reverse("registry:class_detail", args=[klass.pk]),
        "crumbs": _class_crumbs(actor, klass, _("Phân công giảng dạy")),
    }
    return render(request, "registry/people/class_form.html", context)


@login_required
def class_teaching_remove(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    klass = get_object_or_404(selectors.class_list(actor=actor), pk=pk)
    assignment = get_object_or_404(
        selectors.teaching_assignment_list(actor=actor, school_class=klass), pk=assignment_pk
    )
    if not actor.can_in("class.change", klass.school):
        raise PermissionDenied
    error = ""
    if request.method == "POST":
        try:
            services.teaching_assignment_remove(actor=actor, assignment=assignment)
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                _("Đã gỡ phân công môn %(subject)s lớp %(class)s.")
                % {"subject": assignment.subject.name, "class": klass.name},
            )
            return redirect("registry:class_detail", pk=klass.pk)
    context = {
        "klass": klass,
        "assignment": assignment,
        "error": error,
        "crumbs": _class_crumbs(actor, klass, _("Gỡ phân công")),
    }
    return render(request, "registry/people/teaching_remove.html", context)


class StaffCreateForm(forms.Form):
    unit = forms.ModelChoiceField(label="Đơn vị công tác", queryset=OrgUnit.objects.none())
    full_name = forms.CharField(label="Họ và tên", max_length=150)
    date_of_birth = _date_field("Ngày sinh", required=False)
    sex = forms.ChoiceField(label="Giới tính", choices=[("", "—"), *Sex.choices], required=False)
    phone = forms.CharField(label="Điện thoại", max_length=20, required=False)
    email = forms.EmailField(label="Thư điện tử", required=False)
    personal_id = _personal_id_field()
    staff_code = forms.CharField(label="Mã cán bộ", max_length=20, required=False)
    position = forms.ChoiceField(label="Chức vụ", choices=StaffPosition.choices, initial=StaffPosition.TEACHER)
    subjects = forms.ModelMultipleChoiceField(
        label="Môn giảng dạy",
        queryset=Subject.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    qualification = forms.ChoiceField(label="Trình độ", choices=[("", "—"), *Qualification.choices], required=False)
    digital_skills_trained_on = _date_field("Ngày hoàn thành bồi dưỡng kỹ năng số", required=False)
    digital_skills_course = forms.CharField(label="Khoá bồi dưỡng kỹ năng số", max_length=255, required=False)
    signing_certificate_ref = forms.CharField(
        label="Chứng thư số (số serial / nhà cung cấp)", max_length=255, required=False
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


@login_required
def staff_create(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    if not actor.subtree_paths("staff.change"):
        raise PermissionDenied
    form = StaffCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        person_values = {name: data.pop(name) for name in StaffCreateForm.PERSON}
        person_values["sex"] = person_values["sex"] or ""
        try:
            member = services.staff_create(
                actor=actor,
                unit=data.pop("unit"),
                position=data.pop("position"),
                subjects=list(data.pop("subjects")),
                personal_id=data.pop("personal_id"),
                person_values=person_values,
                **data,
            )
        except DomainError as exc:
            _apply_error(form, exc, STAFF_HINTS)
        else:
            messages.success(request, _("Đã thêm cán bộ %(name)s.") % {"name": member.person.full_name})
            return redirect("registry:staff_detail", pk=member.pk)
    context = {
        "form": form,
        "crumbs": _crumbs(
            actor,
            _home_unit(actor),
            (_("Cán bộ, giáo viên"), reverse("registry:staff_list")),
            (_("Thêm cán bộ"), None),
        ),
    }
    return render(request, "registry/people/staff_create.html", context)


urlpatterns = [
    path("students/", student_list, name="student_list"),
    path("students/new/", student_create, name="student_create"),
    path("students/<int:pk>/", student_detail, name="student_detail"),
    path("students/<int:pk>/edit/", student_edit, name="student_edit"),
    path("students/<int:pk>/move/", student_move, name="student_move"),
    path("students/<int:pk>/guardians/add/", guardian_link_add, name="guardian_link_add"),
    path("students/<int:pk>/guardians/<int:link_pk>/remove/", guardian_link_remove, name="guardian_link_remove"),
    path("students/<int:pk>/transfer/", student_transfer, name="student_transfer"),
    path("students/<int:pk>/reveal-id/", student_reveal_id, name="student_reveal_id"),
    path("classes/", class_list, name="class_list"),
    path("classes/new/", class_create, name="class_create"),
    path("classes/<int:pk>/", class_detail, name="class_detail"),
    path("classes/<int:pk>/edit/", class_edit, name="class_edit"),
    path("classes/<int:pk>/teaching/", class_teaching_set, name="class_teaching_set"),
    path(
        "classes/<int:pk>/teaching/<int:assignment_pk>/remove/",
        class_teaching_remove,
        name="class_teaching_remove",
    ),
    path("staff/", staff_list, name="staff_list"),
    path("staff/new/", staff_create, name="staff_create"),
    path("staff/<int:pk>/", staff_detail, name="staff_detail"),
    path("staff/<int:pk>/edit/", staff_edit, name="staff_edit"),
    path("guardians/", guardian_list, name="guardian_list"),
    path("years/", year_list, name="year_list"),
    path("years/rollover/", year_rollover, name="year_rollover"),
]

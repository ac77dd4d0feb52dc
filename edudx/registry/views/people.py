"""Pages about people: students, guardians, classes, staff, school years and the year roll-over.

Views are thin: they parse input with the forms of ``registry.forms``, read through the selectors
(already filtered by the permission policies) and write through the services. A row the actor may not
see answers 404, so ids cannot be probed; a visible row the actor may not change answers 403
(``get_for_change``). A service's refusal is shown on the form (``service_errors_on``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from edudx.core.api import Actor, DomainError, OrgUnit, OrgUnitKind, actor_for, policy_for
from edudx.core.exports import Column, export_response
from edudx.core.pagination import paginate

from .. import selectors, services
from ..enums import StaffPosition, StudentStatus
from ..forms import (
    ClassEditForm,
    ClassForm,
    GuardianForm,
    MoveForm,
    RevealForm,
    RolloverForm,
    StaffCreateForm,
    StaffForm,
    StudentCreateForm,
    StudentEditForm,
    TeachingForm,
    TransferForm,
    YearForm,
    current_year,
)
from ..models import ClassMembership, Grade, SchoolClass, SchoolYear, StaffMember, Student, TeachingAssignment
from ._helpers import (
    apply_error,
    breadcrumbs,
    confirm_removal,
    get_for_change,
    home_unit,
    no_store,
    pick,
    require_anywhere,
    service_errors_on,
)

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

# Which field a service message is about, by a word it contains (see ``apply_error``).
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


def _visible_schools(actor: Actor) -> Any:
    return policy_for(OrgUnit).visible(actor).filter(kind=OrgUnitKind.SCHOOL).order_by("name")


def _can_rollover(actor: Actor) -> bool:
    """The roll-over moves classes and students alike, so it needs both rights."""
    return bool(actor.subtree_paths("class.change")) and bool(actor.subtree_paths("student.change"))


# ---------------------------------------------------------------------------------------------
# Students
# ---------------------------------------------------------------------------------------------


def _current_class(student: Student) -> SchoolClass | None:
    current = getattr(student, "current_memberships", None)
    return current[0].school_class if current else None


def _open_membership(student: Student) -> Any:
    """The student's class membership in the most recent year, if still open."""
    return (
        ClassMembership.objects.filter(student=student, left_on__isnull=True)
        .select_related("school_class__year", "school_class__school")
        .order_by("-school_class__year__starts_on")
        .first()
    )


def _student_for_change(request: HttpRequest, pk: int, capability: str) -> tuple[Actor, Student]:
    """The visible student ``pk`` (else 404) whose school the actor may change in (else 403)."""
    actor = actor_for(request)
    student = get_for_change(selectors.student_list(actor=actor), pk, lambda row: actor.can_in(capability, row.school))
    return actor, student


def _student_crumbs(actor: Actor, student: Student, page: str) -> list[tuple[str, str | None]]:
    return breadcrumbs(
        actor,
        student.school,
        (_("Học sinh"), reverse("registry:student_list")),
        (student.person.full_name, reverse("registry:student_detail", args=[student.pk])),
        (page, None),
    )


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
    school = pick(schools, request.GET.get("school"))
    years = selectors.school_year_list(actor=actor)
    year = pick(years, request.GET.get("year"))
    classes = selectors.class_list(actor=actor, school=school, year=year)
    school_class = pick(classes, request.GET.get("class"))
    grade = pick(Grade.objects, request.GET.get("grade"))
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
        "crumbs": breadcrumbs(actor, home_unit(actor, school), (title, None)),
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
        "crumbs": breadcrumbs(
            actor,
            student.school,
            (_("Học sinh"), reverse("registry:student_list")),
            (student.person.full_name, None),
        ),
    }
    return render(request, "registry/people/student_detail.html", context)


@login_required
def student_create(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    require_anywhere(actor, "student.change")
    form = StudentCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["sex"] = data["sex"] or ""
        with service_errors_on(form, STUDENT_HINTS):
            student = services.student_create(actor=actor, **data)
            messages.success(request, _("Đã thêm học sinh %(name)s.") % {"name": student.person.full_name})
            return redirect("registry:student_detail", pk=student.pk)
    context = {
        "form": form,
        "title": _("Thêm học sinh"),
        "cancel_url": reverse("registry:student_list"),
        "crumbs": breadcrumbs(
            actor, home_unit(actor), (_("Học sinh"), reverse("registry:student_list")), (_("Thêm học sinh"), None)
        ),
    }
    return render(request, "registry/people/student_form.html", context)


@login_required
def student_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor, student = _student_for_change(request, pk, "student.change")
    form = StudentEditForm(request.POST or None, student=student)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["sex"] = data["sex"] or ""
        personal_id = data.pop("personal_id") or None
        with service_errors_on(form, STUDENT_HINTS):
            services.student_update(actor=actor, student=student, personal_id=personal_id, **data)
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


@login_required
def student_move(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Move a student to another class of the same school and year (or place one with no class)."""
    actor, student = _student_for_change(request, pk, "student.change")
    current = _open_membership(student)
    year = current.school_class.year if current is not None else current_year()
    classes = SchoolClass.objects.filter(school=student.school, year=year).select_related("school", "year")
    if current is not None:
        classes = classes.exclude(pk=current.school_class_id)
    form = MoveForm(request.POST or None, classes=classes.order_by("name"))
    if request.method == "POST" and form.is_valid():
        target, on = form.cleaned_data["to_class"], form.cleaned_data["on"]
        with service_errors_on(form, (("Ngày", "on"), ("lớp", "to_class"))):
            if current is not None:
                services.class_membership_move(actor=actor, student=student, to_class=target, on=on)
            else:
                services.class_membership_add(actor=actor, student=student, school_class=target, on=on)
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


@login_required
def student_transfer(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor, student = _student_for_change(request, pk, "student.change")
    form = TransferForm(request.POST or None, current_school=student.school)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            services.student_transfer(
                actor=actor,
                student=student,
                to_school=form.cleaned_data["to_school"],
                on=form.cleaned_data["on"],
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                _("Đã chuyển học sinh %(name)s sang %(school)s.")
                % {"name": student.person.full_name, "school": form.cleaned_data["to_school"].name},
            )
            return redirect("registry:student_list")
    context = {
        "student": student,
        "form": form,
        "crumbs": _student_crumbs(actor, student, _("Chuyển trường")),
    }
    return render(request, "registry/people/student_transfer.html", context)


@login_required
def student_reveal_id(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    student = get_for_change(
        selectors.student_list(actor=actor), pk, lambda row: policy_for(Student).allows(actor, "reveal", row)
    )
    form = RevealForm(request.POST or None)
    number = ""
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            number = services.personal_id_reveal(actor=actor, person=student.person, reason=form.cleaned_data["reason"])
    context = {
        "student": student,
        "form": form,
        "number": number,
        "crumbs": _student_crumbs(actor, student, _("Xem số định danh")),
    }
    return no_store(render(request, "registry/people/student_reveal_id.html", context))


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
    school = pick(schools, request.GET.get("school"))
    q = request.GET.get("q", "").strip()
    links = selectors.guardian_list(actor=actor, q=q, school=school)
    exported = export_response(request, links, GUARDIAN_COLUMNS, "phu-huynh")
    if exported is not None:
        return exported
    context = {
        "q": q,
        "schools": schools,
        "selected": {"school": school.pk if school else None},
        "crumbs": breadcrumbs(actor, home_unit(actor, school), (_("Phụ huynh"), None)),
        **paginate(request, links),
    }
    return render(request, "registry/people/guardian_list.html", context)


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
            # A refusal about the person points at the field used to name them: the number or the new details.
            hints = (("Quan hệ", "relation"),) + (
                (("phụ huynh", "existing_personal_id"),) if guardian is not None else PERSON_HINTS
            )
            with service_errors_on(form, hints):
                link = services.guardian_link_create(
                    actor=actor,
                    student=student,
                    relation=data["relation"],
                    is_primary=data["is_primary"],
                    guardian=guardian,
                    **values,
                )
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
    link = get_for_change(
        selectors.student_guardians(actor=actor, student=student),
        link_pk,
        lambda _link: actor.can_in("guardian.change", student.school),
    )
    return confirm_removal(
        request,
        "registry/people/guardian_remove.html",
        {"student": student, "link": link, "crumbs": _student_crumbs(actor, student, _("Gỡ phụ huynh"))},
        remove=lambda: services.guardian_link_remove(actor=actor, link=link),
        success=_("Đã gỡ liên kết phụ huynh %(guardian)s khỏi học sinh %(student)s.")
        % {"guardian": link.guardian.full_name, "student": student.person.full_name},
        next_url=reverse("registry:student_detail", args=[student.pk]),
    )


# ---------------------------------------------------------------------------------------------
# Classes and teaching
# ---------------------------------------------------------------------------------------------


def _class_for_change(request: HttpRequest, pk: int) -> tuple[Actor, SchoolClass]:
    """The visible class ``pk`` (else 404) whose school the actor may change classes in (else 403)."""
    actor = actor_for(request)
    klass = get_for_change(selectors.class_list(actor=actor), pk, lambda row: actor.can_in("class.change", row.school))
    return actor, klass


def _class_crumbs(actor: Actor, klass: SchoolClass, page: str) -> list[tuple[str, str | None]]:
    return breadcrumbs(
        actor,
        klass.school,
        (_("Lớp học"), reverse("registry:class_list")),
        (f"{klass.name} ({klass.year.code})", reverse("registry:class_detail", args=[klass.pk])),
        (page, None),
    )


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


@login_required
def class_list(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    schools = _visible_schools(actor)
    school = pick(schools, request.GET.get("school"))
    years = selectors.school_year_list(actor=actor)
    if "year" in request.GET:
        year = pick(years, request.GET.get("year"))
    else:
        year = years.filter(is_current=True).first()
    grade = pick(Grade.objects, request.GET.get("grade"))
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
        "can_rollover": _can_rollover(actor),
        "crumbs": breadcrumbs(actor, home_unit(actor, school), (_("Lớp học"), None)),
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
        "crumbs": breadcrumbs(
            actor,
            klass.school,
            (_("Lớp học"), reverse("registry:class_list")),
            (f"{klass.name} ({klass.year.code})", None),
        ),
    }
    return render(request, "registry/people/class_detail.html", context)


@login_required
def class_create(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    require_anywhere(actor, "class.change")
    form = ClassForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form):
            klass = services.class_create(actor=actor, **form.cleaned_data)
            messages.success(request, _("Đã tạo lớp %(name)s.") % {"name": klass.name})
            return redirect("registry:class_detail", pk=klass.pk)
    context = {
        "form": form,
        "crumbs": breadcrumbs(
            actor, home_unit(actor), (_("Lớp học"), reverse("registry:class_list")), (_("Tạo lớp"), None)
        ),
    }
    return render(request, "registry/people/class_form.html", context)


@login_required
def class_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor, klass = _class_for_change(request, pk)
    form = ClassEditForm(request.POST or None, actor=actor, klass=klass)
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form, (("Giáo viên", "homeroom_teacher"), ("Lớp", "name"), ("Tên lớp", "name"))):
            services.class_update(actor=actor, school_class=klass, **form.cleaned_data)
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


def _next_url(request: HttpRequest, default: str) -> str:
    """Where to go after a change: a local ``next`` (the gradebook's assignment matrix), else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@login_required
def class_teaching_set(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Who teaches a subject to the class, for the whole year or one semester; a subject already taught for that
    time gets the new teacher (a semester inside a whole-year assignment splits it)."""
    actor, klass = _class_for_change(request, pk)
    initial = {key: request.GET[key] for key in ("subject", "staff", "semester") if request.GET.get(key)}
    form = TeachingForm(request.POST or None, actor=actor, klass=klass, initial=initial)
    next_url = _next_url(request, reverse("registry:class_detail", args=[klass.pk]))
    if request.method == "POST" and form.is_valid():
        with service_errors_on(form, (("Giáo viên", "staff"), ("Môn", "subject"), ("Học kì", "semester"))):
            services.teaching_assignment_set(actor=actor, school_class=klass, **form.cleaned_data)
            semester_label = dict(TeachingAssignment.SEMESTER_CHOICES)[form.cleaned_data["semester"]]
            messages.success(
                request,
                _("Đã phân công %(teacher)s dạy %(subject)s lớp %(class)s (%(semester)s).")
                % {
                    "teacher": form.cleaned_data["staff"].person.full_name,
                    "subject": form.cleaned_data["subject"].name,
                    "class": klass.name,
                    "semester": str(semester_label).lower(),
                },
            )
            return redirect(next_url)
    context = {
        "form": form,
        "title": _("Phân công giảng dạy lớp %(name)s") % {"name": klass.name},
        "intro": _(
            "Nếu môn đã có giáo viên trong thời gian đã chọn, giáo viên mới sẽ thay thế phân công cũ. "
            "Phân công một học kì cho môn đã có giáo viên cả năm sẽ tách phân công: giáo viên cũ giữ học kì còn lại."
        ),
        "submit": _("Phân công"),
        "cancel_url": next_url,
        "next_url": next_url,
        "crumbs": _class_crumbs(actor, klass, _("Phân công giảng dạy")),
    }
    return render(request, "registry/people/class_form.html", context)


@login_required
def class_teaching_remove(request: HttpRequest, pk: int, assignment_pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    klass = get_object_or_404(selectors.class_list(actor=actor), pk=pk)
    assignment = get_for_change(
        selectors.teaching_assignment_list(actor=actor, school_class=klass),
        assignment_pk,
        lambda _assignment: actor.can_in("class.change", klass.school),
    )
    return confirm_removal(
        request,
        "registry/people/teaching_remove.html",
        {"klass": klass, "assignment": assignment, "crumbs": _class_crumbs(actor, klass, _("Gỡ phân công"))},
        remove=lambda: services.teaching_assignment_remove(actor=actor, assignment=assignment),
        success=_("Đã gỡ phân công môn %(subject)s lớp %(class)s.")
        % {"subject": assignment.subject.name, "class": klass.name},
        next_url=reverse("registry:class_detail", args=[klass.pk]),
    )


# ---------------------------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------------------------


def _pop_person_values(data: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    """Take the ``Person`` fields out of a staff form's data (an unanswered sex is stored as "")."""
    person_values = {name: data.pop(name) for name in names}
    person_values["sex"] = person_values["sex"] or ""
    return person_values


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
    unit = pick(units, request.GET.get("unit"))
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
        "crumbs": breadcrumbs(actor, home_unit(actor, unit), (_("Cán bộ, giáo viên"), None)),
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
        "crumbs": breadcrumbs(
            actor,
            member.org_unit,
            (_("Cán bộ, giáo viên"), reverse("registry:staff_list")),
            (member.person.full_name, None),
        ),
    }
    return render(request, "registry/people/staff_detail.html", context)


@login_required
def staff_create(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    require_anywhere(actor, "staff.change")
    form = StaffCreateForm(request.POST or None, actor=actor)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        person_values = _pop_person_values(data, StaffCreateForm.PERSON)
        with service_errors_on(form, STAFF_HINTS):
            member = services.staff_create(
                actor=actor,
                unit=data.pop("unit"),
                position=data.pop("position"),
                subjects=list(data.pop("subjects")),
                personal_id=data.pop("personal_id"),
                person_values=person_values,
                **data,
            )
            messages.success(request, _("Đã thêm cán bộ %(name)s.") % {"name": member.person.full_name})
            return redirect("registry:staff_detail", pk=member.pk)
    context = {
        "form": form,
        "crumbs": breadcrumbs(
            actor,
            home_unit(actor),
            (_("Cán bộ, giáo viên"), reverse("registry:staff_list")),
            (_("Thêm cán bộ"), None),
        ),
    }
    return render(request, "registry/people/staff_create.html", context)


@login_required
def staff_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    member = get_for_change(
        selectors.staff_list(actor=actor), pk, lambda row: policy_for(StaffMember).allows(actor, "change", row)
    )
    form = StaffForm(request.POST or None, member=member)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        person_values = _pop_person_values(data, StaffForm.PERSON)
        personal_id = data.pop("personal_id") or None
        subjects = list(data.pop("subjects"))
        with service_errors_on(form):
            services.staff_update(
                actor=actor,
                staff=member,
                subjects=subjects,
                personal_id=personal_id,
                person_values=person_values,
                **data,
            )
            messages.success(request, _("Đã lưu hồ sơ cán bộ."))
            return redirect("registry:staff_detail", pk=member.pk)
    context = {
        "member": member,
        "form": form,
        "crumbs": breadcrumbs(
            actor,
            member.org_unit,
            (_("Cán bộ, giáo viên"), reverse("registry:staff_list")),
            (member.person.full_name, reverse("registry:staff_detail", args=[member.pk])),
            (_("Sửa"), None),
        ),
    }
    return render(request, "registry/people/staff_form.html", context)


# ---------------------------------------------------------------------------------------------
# School years and the roll-over
# ---------------------------------------------------------------------------------------------

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
    """The school years; actors who manage years also get the form that adds one."""
    actor = actor_for(request)
    years = selectors.school_year_list(actor=actor)
    exported = export_response(request, years, YEAR_COLUMNS, "nam-hoc")
    if exported is not None:
        return exported
    can_manage = bool(actor.subtree_paths("year.manage"))
    form = YearForm(request.POST or None) if can_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            with service_errors_on(form):
                year = services.school_year_create(actor=actor, **form.cleaned_data)
                messages.success(request, _("Đã tạo năm học %(code)s.") % {"code": year.code})
                return redirect("registry:year_list")
    context = {
        "form": form,
        "can_rollover": _can_rollover(actor),
        "crumbs": breadcrumbs(actor, home_unit(actor), (_("Năm học"), None)),
        **paginate(request, years),
    }
    return render(request, "registry/people/year_list.html", context)


def _default_rollover_initial(actor: Actor) -> dict[str, Any]:
    """The actor's only school, and from the current year to the one after it, where those exist."""
    initial: dict[str, Any] = {}
    schools = actor.units_with("class.change").filter(kind=OrgUnitKind.SCHOOL)
    if schools.count() == 1:
        initial["school"] = schools.first().pk  # type: ignore[union-attr]
    current = current_year()
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
    require_anywhere(actor, "class.change", "student.change")
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
            apply_error(form, exc)
            # A refused roll-over still shows the plan, so the user sees what stands in the way.
            if request.method == "POST":
                plan = services.year_rollover_preview(**args)
    context = {
        "form": form,
        "plan": plan,
        "crumbs": breadcrumbs(
            actor,
            form.cleaned_data.get("school") if plan else home_unit(actor),
            (_("Năm học"), reverse("registry:year_list")),
            (_("Chuyển năm học"), None),
        ),
    }
    return render(request, "registry/people/year_rollover.html", context)


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

"""Pages of the gradebook: set-up — rule-set versions, the curriculum of each grade, teaching assignments.

Rule sets and the curriculum are read by everyone with a role and changed by holders of ``ruleset.manage``; a
change of a rule set is shown as a diff and confirmed before the new version is written. The assignment matrix is
for the school's leaders and clerks (``class.change``); a cell opens the registry's assignment form and comes back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from edudx.core.api import Actor, DomainError, SchoolLevel, ValidationFailed, actor_for, policy_for
from edudx.core.exports import Column, export_response
from edudx.registry.api import Grade, SchoolYear

from ..curriculum import rules_of
from ..enums import Tt22Level, Tt27Classification
from ..models import GradeSubject, RuleSetVersion, SubjectKind
from ..rulesets import Tt22RuleSet, Tt27RuleSet
from ..selectors import setup as selectors
from ..services import rulesets as services

__all__ = ["urlpatterns"]

_l = gettext_lazy


def _crumbs(*pages: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    return [(_("Sổ điểm"), None), *pages]


# ---------------------------------------------------------------------------------------------------------------
# Rule sets
# ---------------------------------------------------------------------------------------------------------------


@login_required
def ruleset_list(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    if not actor.grants:
        raise PermissionDenied
    versions = list(selectors.ruleset_list(actor=actor))
    current = set(selectors.current_version_ids(timezone.localdate()).values())
    groups: dict[str, list[RuleSetVersion]] = {}
    for version in versions:
        version.is_current = version.pk in current  # type: ignore[attr-defined]
        version.unconfirmed_labels = [  # type: ignore[attr-defined]
            selectors.field_label(name) for name in version.data.get("unconfirmed_fields", [])
        ]
        groups.setdefault(version.get_circular_display(), []).append(version)
    context = {
        "groups": groups,
        "can_manage": bool(actor.subtree_paths("ruleset.manage")),
        "crumbs": _crumbs((_("Bộ quy tắc đánh giá"), None)),
    }
    return render(request, "gradebook/setup/ruleset_list.html", context)


def _version_or_404(actor: Actor, pk: int) -> RuleSetVersion:
    version = selectors.ruleset_get(actor=actor, pk=pk)
    if version is None:
        raise Http404
    return version


@login_required
def ruleset_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    version = _version_or_404(actor, pk)
    previous = selectors.previous_version(version)
    newest = not RuleSetVersion.objects.filter(code=version.code, version__gt=version.version).exists()
    context = {
        "version": version,
        "tables": selectors.ruleset_tables(version),
        "previous": previous,
        "diff": selectors.data_diff(version.circular, previous.data, version.data) if previous else [],
        "is_current": version.pk in selectors.current_version_ids(timezone.localdate()).values(),
        "can_edit": newest and policy_for(RuleSetVersion).allows(actor, "manage", version),
        "crumbs": _crumbs(
            (_("Bộ quy tắc đánh giá"), reverse("gradebook:ruleset_list")), (f"{version.code} v{version.version}", None)
        ),
    }
    return render(request, "gradebook/setup/ruleset_detail.html", context)


_TUPLE_CHOICES: dict[str, Any] = {
    "adjustment_reference_levels": Tt22Level,
    "completing_classifications": Tt27Classification,
}
_NOT_EDITABLE = {"code", "valid_from", "valid_to", "grades", "scheduled_tests", *services.FIXED_FIELDS}
_TABLES = {"regular_count_bands", "learning_level_rules", "conduct_year_table", "classification_rules"}


def _decimal_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


class RuleSetEditForm(forms.Form):
    """Every scalar option of a rule set, its legal tables as editable rows, the date and the reason."""

    valid_from = forms.DateField(
        label=_l("Áp dụng từ ngày"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_l("Áp dụng cho các năm học bắt đầu từ ngày này; năm học trước giữ phiên bản cũ."),
    )
    reason = forms.CharField(label=_l("Lý do thay đổi"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, base: RuleSetVersion, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.base = base
        self.rules = rules_of(base)
        self.scalar_names: list[str] = []
        initial: dict[str, Any] = {"valid_from": base.valid_from}
        for f in fields(self.rules):
            name = f.name
            if name in _NOT_EDITABLE or name in _TABLES:
                continue
            value = getattr(self.rules, name)
            field, start = self._field_for(name, value)
            field.label = selectors.field_label(name)
            self.fields[name] = field
            initial[name] = start
            self.scalar_names.append(name)
        if isinstance(self.rules, Tt22RuleSet):
            self._tt22_tables(initial)
        else:
            self._tt27_tables(initial)
        for name, value in initial.items():
            self.fields[name].initial = value
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            else:
                widget.attrs.setdefault("class", "form-control form-control-sm")

    def _field_for(self, name: str, value: Any) -> tuple[forms.Field, Any]:
        rules = self.rules
        if name == "unconfirmed_fields":
            choices = [(f.name, selectors.field_label(f.name)) for f in fields(rules) if f.name != name]
            return forms.MultipleChoiceField(
                choices=choices, required=False, widget=forms.CheckboxSelectMultiple
            ), list(value)
        if name in _TUPLE_CHOICES:
            return forms.MultipleChoiceField(
                choices=_TUPLE_CHOICES[name].choices, required=False, widget=forms.CheckboxSelectMultiple
            ), [str(v) for v in value]
        if isinstance(value, bool):
            return forms.BooleanField(required=False), value
        if isinstance(value, Decimal):
            return forms.DecimalField(max_digits=5, decimal_places=2, min_value=0), value
        if isinstance(value, int):
            return forms.IntegerField(), value
        if hasattr(value, "label") and hasattr(type(value), "choices"):
            return forms.ChoiceField(choices=type(value).choices), str(value)
        if name == "score_rounding":
            return forms.ChoiceField(choices=[(mode, mode) for mode in services.ROUNDING_MODES]), value
        if name == "final_grade":
            return forms.ChoiceField(choices=[(grade, grade) for grade in rules.grades]), value
        return forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2})), value

    def _tt22_tables(self, initial: dict[str, Any]) -> None:
        rules = self.rules
        assert isinstance(rules, Tt22RuleSet)
        for i, band in enumerate(rules.regular_count_bands):
            self.fields[f"band_{i}_upto"] = forms.IntegerField(required=False, min_value=1, label=_l("Đến số tiết"))
            self.fields[f"band_{i}_count"] = forms.IntegerField(min_value=1, label=_l("Số lần ĐGTX"))
            initial[f"band_{i}_upto"], initial[f"band_{i}_count"] = band.periods_up_to, band.count
        for i, row in enumerate(rules.learning_level_rules):
            self.fields[f"llr_{i}_every"] = forms.DecimalField(max_digits=4, decimal_places=1, label=_l("Mọi môn từ"))
            self.fields[f"llr_{i}_count"] = forms.IntegerField(min_value=0, label=_l("Số môn"))
            self.fields[f"llr_{i}_at_least"] = forms.DecimalField(max_digits=4, decimal_places=1, label=_l("Đạt từ"))
            self.fields[f"llr_{i}_comment"] = forms.IntegerField(min_value=0, label=_l("Môn Chưa đạt tối đa"))
            initial.update(
                {
                    f"llr_{i}_every": row.every_scored_at_least,
                    f"llr_{i}_count": row.scored_count,
                    f"llr_{i}_at_least": row.scored_count_at_least,
                    f"llr_{i}_comment": row.comment_not_passed_at_most,
                }
            )
        for cell in rules.conduct_year_table:
            name = f"ct_{cell.semester_1}_{cell.semester_2}"
            self.fields[name] = forms.ChoiceField(choices=Tt22Level.choices, label=_l("Cả năm"))
            initial[name] = str(cell.year)

    def _tt27_tables(self, initial: dict[str, Any]) -> None:
        rules = self.rules
        assert isinstance(rules, Tt27RuleSet)
        for i, row in enumerate(rules.classification_rules):
            self.fields[f"cr_{i}_min"] = forms.IntegerField(label=_l("Điểm kiểm tra tối thiểu"))
            initial[f"cr_{i}_min"] = row.min_test_score

    # -- what changed --------------------------------------------------------------------------------------------

    def _encode(self, name: str, value: Any) -> Any:
        old = getattr(self.rules, name)
        if isinstance(old, bool):
            return bool(value)
        if isinstance(old, Decimal):
            return self.base.data[name] if Decimal(value) == old else _decimal_text(Decimal(value))
        if isinstance(old, int):
            return int(value)
        if isinstance(old, tuple):
            return list(value)
        return str(value)

    def changes(self) -> dict[str, Any]:
        """The changed fields as stored data (``rulesets.to_data`` shape); unchanged ones are left out."""
        data = self.cleaned_data
        base = self.base.data
        out: dict[str, Any] = {}
        for name in self.scalar_names:
            encoded = self._encode(name, data[name])
            if name in _TUPLE_CHOICES or name == "unconfirmed_fields":
                # Keep the stored order for the values that stay, add new ones at the end.
                kept = [v for v in base[name] if v in encoded]
                encoded = kept + [v for v in encoded if v not in kept]
            if encoded != base[name]:
                out[name] = encoded
        if isinstance(self.rules, Tt22RuleSet):
            bands = [
                {"periods_up_to": data[f"band_{i}_upto"], "count": data[f"band_{i}_count"]}
                for i in range(len(self.rules.regular_count_bands))
            ]
            learning = []
            for i, row in enumerate(base["learning_level_rules"]):
                learning.append(
                    {
                        "level": row["level"],
                        "every_scored_at_least": self._table_decimal(
                            row["every_scored_at_least"], data[f"llr_{i}_every"]
                        ),
                        "scored_count": data[f"llr_{i}_count"],
                        "scored_count_at_least": self._table_decimal(
                            row["scored_count_at_least"], data[f"llr_{i}_at_least"]
                        ),
                        "comment_not_passed_at_most": data[f"llr_{i}_comment"],
                    }
                )
            conduct = [
                {**cell, "year": data[f"ct_{cell['semester_1']}_{cell['semester_2']}"]}
                for cell in base["conduct_year_table"]
            ]
            for name, value in (
                ("regular_count_bands", bands),
                ("learning_level_rules", learning),
                ("conduct_year_table", conduct),
            ):
                if value != base[name]:
                    out[name] = value
        else:
            classification = [
                {**row, "min_test_score": data[f"cr_{i}_min"]} for i, row in enumerate(base["classification_rules"])
            ]
            if classification != base["classification_rules"]:
                out["classification_rules"] = classification
        return out

    @staticmethod
    def _table_decimal(stored: str, value: Decimal) -> str:
        return stored if Decimal(stored) == value else _decimal_text(value)

    # -- layout for the template ---------------------------------------------------------------------------------

    def layout(self) -> dict[str, Any]:
        rules = self.rules
        unconfirmed = set(rules.unconfirmed_fields)
        out: dict[str, Any] = {
            "scalars": [
                (self[name], name in unconfirmed)
                for name in self.scalar_names
                if name not in ("unconfirmed_fields", "legal_basis")
            ],
            "legal_basis": self["legal_basis"],
            "unconfirmed_fields": self["unconfirmed_fields"],
        }
        if isinstance(rules, Tt22RuleSet):
            out["bands"] = [
                (self[f"band_{i}_upto"], self[f"band_{i}_count"]) for i in range(len(rules.regular_count_bands))
            ]
            out["learning"] = [
                (
                    Tt22Level(row.level).label,
                    [self[f"llr_{i}_{part}"] for part in ("every", "count", "at_least", "comment")],
                )
                for i, row in enumerate(rules.learning_level_rules)
            ]
            levels = list(Tt22Level)
            out["conduct_levels"] = [level.label for level in levels]
            out["conduct"] = [
                (s2.label, [self[f"ct_{s1}_{s2}"] for s1 in levels if f"ct_{s1}_{s2}" in self.fields]) for s2 in levels
            ]
        else:
            out["classification"] = [
                (row.classification.label, self[f"cr_{i}_min"], row.classification == Tt27Classification.COMPLETED)
                for i, row in enumerate(rules.classification_rules)
            ]
        return out


@login_required
def ruleset_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Change a rule set: the form, then a confirmation showing the diff, then the new version."""
    actor = actor_for(request)
    base = _version_or_404(actor, pk)
    if not policy_for(RuleSetVersion).allows(actor, "manage", base):
        raise PermissionDenied
    form = RuleSetEditForm(request.POST or None, base=base)
    diff: list[selectors.FieldChange] = []
    # "Sửa lại" on the confirmation page comes back to the form with what was typed.
    if request.method == "POST" and not request.POST.get("back") and form.is_valid():
        changes = form.changes()
        valid_from: dt.date = form.cleaned_data["valid_from"]
        try:
            _rules, data = services.rules_from_changes(base, changes, valid_from)
            diff = selectors.data_diff(base.circular, base.data, data)
            if not changes:
                raise ValidationFailed(_("Không có thay đổi nào so với phiên bản hiện tại."))
            if request.POST.get("confirm") == "1":
                version = services.new_version(
                    actor=actor, base=base, changes=changes, valid_from=valid_from, reason=form.cleaned_data["reason"]
                )
                messages.success(
                    request,
                    _("Đã lưu phiên bản %(version)s của bộ quy tắc %(code)s.")
                    % {"version": version.version, "code": version.code},
                )
                return redirect("gradebook:ruleset_detail", pk=version.pk)
        except DomainError as exc:
            details = exc.details if isinstance(exc.details, dict) else {}
            for message in details.get("errors", []) or [exc.message]:
                form.add_error(None, message)
            diff = []
        else:
            context = {
                "form": form,
                "base": base,
                "diff": diff,
                "crumbs": _crumbs(
                    (_("Bộ quy tắc đánh giá"), reverse("gradebook:ruleset_list")),
                    (f"{base.code} v{base.version}", reverse("gradebook:ruleset_detail", args=[base.pk])),
                    (_("Xác nhận thay đổi"), None),
                ),
            }
            return render(request, "gradebook/setup/ruleset_confirm.html", context)
    context = {
        "form": form,
        "layout": form.layout(),
        "base": base,
        "crumbs": _crumbs(
            (_("Bộ quy tắc đánh giá"), reverse("gradebook:ruleset_list")),
            (f"{base.code} v{base.version}", reverse("gradebook:ruleset_detail", args=[base.pk])),
            (_("Sửa"), None),
        ),
    }
    return render(request, "gradebook/setup/ruleset_edit.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Curriculum
# ---------------------------------------------------------------------------------------------------------------


@login_required
def curriculum(request: HttpRequest) -> HttpResponseBase:
    actor = actor_for(request)
    if not actor.grants:
        raise PermissionDenied
    blocks = selectors.curriculum_overview(actor=actor, on=timezone.localdate())
    level = request.GET.get("level", "")
    if level in (SchoolLevel.TH, SchoolLevel.THCS):
        blocks = [block for block in blocks if block.grade.level == level]
    context = {
        "blocks": blocks,
        "level": level,
        "levels": [(SchoolLevel.TH, _("Tiểu học")), (SchoolLevel.THCS, _("Trung học cơ sở"))],
        "can_manage": bool(actor.subtree_paths("ruleset.manage")),
        "crumbs": _crumbs((_("Chương trình các khối"), None)),
    }
    return render(request, "gradebook/setup/curriculum.html", context)


class CurriculumForm(forms.Form):
    kind = forms.ChoiceField(label=_l("Hình thức đánh giá"), choices=SubjectKind.choices)
    periods_per_year = forms.IntegerField(
        label=_l("Số tiết/năm"), min_value=1, max_value=services.MAX_PERIODS, widget=forms.NumberInput()
    )

    def __init__(self, *args: Any, entry: GradeSubject, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"kind": entry.kind, "periods_per_year": entry.periods_per_year})
        super().__init__(*args, **kwargs)
        if entry.grade.level == SchoolLevel.TH:
            self.fields["kind"].choices = [(SubjectKind.PRIMARY, SubjectKind.PRIMARY.label)]  # type: ignore[attr-defined]
        else:
            self.fields["kind"].choices = [  # type: ignore[attr-defined]
                (SubjectKind.SCORED, SubjectKind.SCORED.label),
                (SubjectKind.COMMENT, SubjectKind.COMMENT.label),
            ]
        self.fields["kind"].widget.attrs["class"] = "form-select"
        self.fields["periods_per_year"].widget.attrs["class"] = "form-control"


@login_required
def curriculum_edit(request: HttpRequest, pk: int) -> HttpResponseBase:
    actor = actor_for(request)
    entry = get_object_or_404(policy_for(GradeSubject).visible(actor, "view").select_related("grade", "subject"), pk=pk)
    if not policy_for(GradeSubject).allows(actor, "manage", entry):
        raise PermissionDenied
    form = CurriculumForm(request.POST or None, entry=entry)
    if request.method == "POST" and form.is_valid():
        try:
            services.curriculum_set(actor=actor, entry=entry, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Đã lưu môn %(subject)s của %(grade)s.") % {"subject": entry.subject.name, "grade": entry.grade.name},
            )
            return redirect(f"{reverse('gradebook:curriculum')}#grade-{entry.grade.code}")
    context = {
        "form": form,
        "entry": entry,
        "crumbs": _crumbs(
            (_("Chương trình các khối"), reverse("gradebook:curriculum")),
            (f"{entry.grade.name} – {entry.subject.name}", None),
        ),
    }
    return render(request, "gradebook/setup/curriculum_edit.html", context)


# ---------------------------------------------------------------------------------------------------------------
# Teaching assignments
# ---------------------------------------------------------------------------------------------------------------


def _int(value: str | None, default: int | None = None) -> int | None:
    try:
        return int(value) if value else default
    except ValueError:
        return default


@login_required
def assignments(request: HttpRequest) -> HttpResponseBase:
    """Classes × subjects of a school for one semester: who teaches what; each cell opens the assignment form."""
    actor = actor_for(request)
    if not actor.subtree_paths("class.change"):
        raise PermissionDenied
    schools = selectors.assignment_schools(actor=actor)
    school = schools.filter(pk=_int(request.GET.get("school"))).first() or schools.first()
    years = policy_for(SchoolYear).visible(actor).order_by("-starts_on")
    year = years.filter(pk=_int(request.GET.get("year"))).first() or years.filter(is_current=True).first()
    semester = 2 if request.GET.get("semester") == "2" else 1
    grades = Grade.objects.filter(level=school.school_level).order_by("order") if school else Grade.objects.none()
    grade = grades.filter(pk=_int(request.GET.get("grade"))).first()
    subjects, rows = ([], [])
    if school is not None and year is not None:
        subjects, rows = selectors.assignment_matrix(
            actor=actor, school=school, year=year, semester=semester, grade=grade
        )
    if school is not None and year is not None:
        columns = [
            Column(_("Lớp"), lambda row: row.school_class.name, 10),
            Column(_("Giáo viên chủ nhiệm"), lambda row: row.homeroom, 26),
            *[
                Column(subject.name, lambda row, i=i: row.cells[i].teacher if row.cells[i].in_curriculum else "—", 22)
                for i, subject in enumerate(subjects)
            ],
        ]
        exported = export_response(
            request, rows, columns, f"phan-cong-{school.moet_code or school.pk}-{year.code}-hk{semester}"
        )
        if exported is not None:
            return exported
    here = request.get_full_path()
    for row in rows:
        for cell in row.cells:
            query = {"subject": cell.subject.pk, "next": here}
            if cell.assignment is not None:
                query["staff"] = cell.assignment.staff_id
            # A semester view edits that semester of an existing assignment (splitting a whole-year one); an
            # empty cell starts as a whole-year assignment. The form lets the user choose either way.
            query["semester"] = semester if cell.assignment is not None else 0
            cell.edit_url = (  # type: ignore[attr-defined]
                f"{reverse('registry:class_teaching_set', args=[row.school_class.pk])}?{urlencode(query)}"
            )
    context = {
        "schools": schools,
        "school": school,
        "years": years,
        "year": year,
        "semester": semester,
        "grades": grades,
        "grade": grade,
        "subjects": subjects,
        "rows": rows,
        "next": here,
        "query_without_page": request.GET.urlencode(),
        "crumbs": _crumbs((_("Phân công giảng dạy"), None)),
    }
    return render(request, "gradebook/setup/assignments.html", context)


urlpatterns: list[URLPattern] = [
    path("rules/", ruleset_list, name="ruleset_list"),
    path("rules/<int:pk>/", ruleset_detail, name="ruleset_detail"),
    path("rules/<int:pk>/edit/", ruleset_edit, name="ruleset_edit"),
    path("curriculum/", curriculum, name="curriculum"),
    path("curriculum/<int:pk>/edit/", curriculum_edit, name="curriculum_edit"),
    path("assignments/", assignments, name="assignments"),
]

"""The home page: one dashboard section per role the signed-in user holds."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from edudx.core.api import AUTHORITY_ROLES, Role, actor_for
from edudx.core.kpi import all_kpis

from . import dashboards

__all__ = ["healthz", "home"]


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _url(name: str, *args: Any) -> str | None:
    """The URL of a page, or None where that page is not installed in this deployment."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _links(actor: Any, entries: list[tuple[str | None, str, str]]) -> list[tuple[str, str]]:
    out = []
    for capability, label, name in entries:
        url = _url(name)
        if url and (capability is None or actor.grants_for(capability)):
            out.append((label, url))
    return out


@login_required
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_for(request)
    roles = actor.roles
    # None means "this section does not apply"; an empty list means "applies, nothing to show yet".
    context: dict[str, Any] = {"actor": actor, "has_role": bool(roles), "teaching": None, "children": None}
    context["own_cards"] = None
    if roles & AUTHORITY_ROLES:
        context["authority"] = dashboards.authority_dashboard(actor)
        context["authority_links"] = _links(
            actor,
            [
                ("school.view", _("Danh sách trường"), "registry:school_list"),
                ("school.view", _("Hạ tầng CNTT các trường"), "registry:infrastructure_overview"),
                ("org.view", _("Cơ cấu tổ chức"), "core:org_tree"),
                ("dataquality.view", _("Chất lượng dữ liệu"), "registry:data_quality"),
                ("audit.view", _("Nhật ký thay đổi"), "core:audit_log"),
                ("role.assign", _("Phân quyền"), "accounts:role_list"),
            ],
        )
    if roles & (AUTHORITY_ROLES | {Role.PRINCIPAL, Role.VICE_PRINCIPAL}):
        # The plan's targets, measured live over what this actor may see.
        measured = [(kpi, kpi.measure(actor)) for kpi in all_kpis() if kpi.shown_to(actor)]
        context["plan_targets"] = [{"kpi": k, "measure": m, "met": k.met(m)} for k, m in measured]
    if roles & dashboards.SCHOOL_OFFICE_ROLES:
        context["schools"] = [
            {"school": school, "detail_url": _url("registry:school_detail", school.pk)}
            for school in dashboards.school_dashboards(actor)
        ]
        context["school_links"] = _links(
            actor,
            [
                ("student.import", _("Nhập dữ liệu từ Excel"), "registry:import_list"),
                ("class.view", _("Lớp học"), "registry:class_list"),
                ("student.view", _("Học sinh"), "registry:student_list"),
                ("staff.view", _("Cán bộ, giáo viên"), "registry:staff_list"),
                ("dataquality.view", _("Chất lượng dữ liệu"), "registry:data_quality"),
            ],
        )
    if roles & dashboards.TEACHER_ROLES:
        context["teaching"] = [
            {"item": item, "url": _url("registry:class_detail", item.school_class.pk)}
            for item in dashboards.teacher_classes(actor)
        ]
    if Role.GUARDIAN in roles:
        context["children"] = [
            {"card": card, "url": _url("registry:student_detail", card.student.pk)}
            for card in dashboards.children_cards(actor)
        ]
    if Role.STUDENT in roles:
        context["own_cards"] = dashboards.student_cards(actor)
    return render(request, "portal/home.html", context)

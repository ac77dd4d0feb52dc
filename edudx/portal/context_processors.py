"""Navigation by role: every page's menu shows only what the signed-in user may open."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from edudx.core.api import actor_for

__all__ = ["MENU", "navigation"]

# (capability needed, label, url name). The first matching capability shows the entry.
MENU = [
    (None, "Trang chủ", "portal:home"),
    ("org.view", "Cơ cấu tổ chức", "core:org_tree"),
    ("school.view", "Trường học", "registry:school_list"),
    # The overview of every school's ICT infrastructure is for the authority (the view checks it too).
    ("org.manage", "Hạ tầng CNTT", "registry:infrastructure_overview"),
    ("year.view", "Năm học", "registry:year_list"),
    ("class.view", "Lớp học", "registry:class_list"),
    ("student.view", "Học sinh", "registry:student_list"),
    ("guardian.view", "Phụ huynh", "registry:guardian_list"),
    ("staff.view", "Cán bộ, giáo viên", "registry:staff_list"),
    ("student.import", "Nhập dữ liệu Excel", "registry:import_list"),
    ("dataquality.view", "Chất lượng dữ liệu", "registry:data_quality"),
    ("role.assign", "Phân quyền", "accounts:role_list"),
    ("audit.view", "Nhật ký thay đổi", "core:audit_log"),
]


def navigation(request: Any) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    actor = actor_for(request)
    items = []
    for capability, label, url_name in MENU:
        if capability is None or actor.grants_for(capability):
            try:
                url = reverse(url_name)
            except NoReverseMatch:  # an entry whose page is not installed in this deployment
                continue
            items.append({"label": label, "url": url, "active": request.path == url})
    return {"nav_items": items, "nav_roles": sorted({g.role for g in actor.grants})}

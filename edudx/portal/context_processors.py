"""Navigation by role: every page's menu shows only what the signed-in user may open."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from edudx.core.api import actor_for

__all__ = ["MENU", "navigation"]

# (capability needed, label, url name). The first matching capability shows the entry.
MENU = [
    (None, _("Trang chủ"), "portal:home"),
    (None, _("Dịch vụ công"), "procedures:catalogue"),
    (None, _("Hồ sơ của tôi"), "procedures:my_dossiers"),
    ("org.view", _("Cơ cấu tổ chức"), "core:org_tree"),
    ("school.view", _("Trường học"), "registry:school_list"),
    # The overview of every school's ICT infrastructure is for the authority (the view checks it too).
    ("org.manage", _("Hạ tầng CNTT"), "registry:infrastructure_overview"),
    ("year.view", _("Năm học"), "registry:year_list"),
    ("class.view", _("Lớp học"), "registry:class_list"),
    ("student.view", _("Học sinh"), "registry:student_list"),
    ("guardian.view", _("Phụ huynh"), "registry:guardian_list"),
    ("staff.view", _("Cán bộ, giáo viên"), "registry:staff_list"),
    ("student.import", _("Nhập dữ liệu Excel"), "registry:import_list"),
    ("grade.enter", _("Sổ điểm"), "gradebook:home"),
    ("grade.view", _("Kết quả học tập"), "gradebook:results_home"),
    ("transcript.view", _("Học bạ số"), "gradebook:transcript_home"),
    ("gradestats.view", _("Thống kê kết quả học tập"), "gradebook:stats"),
    ("ruleset.manage", _("Quy tắc đánh giá"), "gradebook:ruleset_list"),
    ("ruleset.manage", _("Chương trình các khối"), "gradebook:curriculum"),
    ("class.change", _("Phân công giảng dạy"), "gradebook:assignments"),
    ("dossier.receive", _("Bộ phận Một cửa"), "procedures:desk_queue"),
    ("dossier.receive", _("Tiếp nhận hồ sơ giấy"), "procedures:counter_intake"),
    ("dossier.handle", _("Hồ sơ cần xử lý"), "procedures:handler_queue"),
    ("dossier.approve", _("Hồ sơ chờ phê duyệt"), "procedures:approval_queue"),
    ("dossier.view", _("Sổ theo dõi hồ sơ"), "procedures:register"),
    ("procedure.manage", _("Danh mục thủ tục"), "procedures:catalogue_admin"),
    ("servicekpi.view", _("Chỉ tiêu dịch vụ công"), "procedures:targets"),
    ("payment.reconcile", _("Đối soát thanh toán"), "payments:reconcile"),
    ("payment.view", _("Khoản thu, biên lai"), "payments:bill_list"),
    ("dataquality.view", _("Chất lượng dữ liệu"), "registry:data_quality"),
    ("role.assign", _("Phân quyền"), "accounts:role_list"),
    ("audit.view", _("Nhật ký thay đổi"), "core:audit_log"),
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
            # str(): the label is resolved in the language of this request.
            items.append({"label": str(label), "url": url, "active": request.path == url})
    return {"nav_items": items, "nav_roles": sorted({g.role for g in actor.grants})}

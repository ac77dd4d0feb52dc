import datetime as dt
import io

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from edudx.accounts import selectors, services
from edudx.core.errors import NotPermitted, ValidationFailed
from edudx.core.models import AuditEvent, RoleAssignment
from edudx.core.permissions import Actor
from edudx.testing import login_verified, make_user

pytestmark = pytest.mark.django_db


def _rows(response):
    return response.content.decode().count('data-testid="role-row"')


def test_role_list_shows_only_the_assigners_scope(client, world):
    login_verified(client, world.school1.users["principal"])
    response = client.get(reverse("accounts:role_list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "gvcn_a" in html and "gvcn_b" not in html
    assert "authority_leader_pgd" not in html
    expected = RoleAssignment.objects.filter(org_unit=world.school1.school).count()
    assert _rows(response) == expected

    login_verified(client, world.authority_users["authority_leader"])
    all_html = client.get(reverse("accounts:role_list")).content.decode()
    assert "gvcn_a" in all_html and "gvcn_b" in all_html


def test_role_list_search_filter_and_export(client, world):
    login_verified(client, world.authority_users["authority_specialist"])
    url = reverse("accounts:role_list")
    assert _rows(client.get(url, {"q": "gvcn"})) == 2
    assert _rows(client.get(url, {"q": "GVCN A"})) == 1  # by full name, case-insensitive
    assert _rows(client.get(url, {"role": "principal"})) == 2
    assert _rows(client.get(url, {"role": "principal", "unit": world.school2.school.pk})) == 1
    export = client.get(url, {"role": "principal", "export": "xlsx"})
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(export.content)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:4] == ["Tên đăng nhập", "Họ và tên", "Vai trò", "Đơn vị"]
    assert sorted(v[0] for v in values[1:]) == ["principal_a", "principal_b"]
    assert values[1][2] == "Hiệu trưởng"
    csv = b"".join(client.get(url, {"q": "gvbm_b", "export": "csv"}).streaming_content).decode("utf-8-sig")
    assert "gvbm_b" in csv and "gvbm_a" not in csv


def test_role_list_pagination_keeps_filters(client, world):
    principal = world.school1.users["principal"]
    for i in range(30):
        services.user_create(
            actor=Actor(user=principal),
            username=f"giaovien{i:02d}",
            full_name=f"Giáo viên {i}",
            org_unit=world.school1.school,
            role="subject_teacher",
        )
    login_verified(client, principal)
    first = client.get(reverse("accounts:role_list"), {"role": "subject_teacher"})
    assert _rows(first) == 25
    assert "?role=subject_teacher&page=2" in first.content.decode()
    second = client.get(reverse("accounts:role_list"), {"role": "subject_teacher", "page": 2})
    assert _rows(second) == 31 - 25


def test_role_list_query_count_is_fixed(client, world):
    principal = world.school1.users["principal"]
    login_verified(client, principal)
    client.get(reverse("accounts:role_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:role_list"))
    for i in range(10):
        services.user_create(
            actor=Actor(user=principal), username=f"gv{i}", full_name="GV", org_unit=world.school1.school, role="clerk"
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("accounts:role_list"))
    assert len(many) == len(few)


def test_role_pages_need_assign_capability(client, world):
    url = reverse("accounts:role_list")
    assert client.get(url)["Location"].startswith(reverse("accounts:login"))
    login_verified(client, world.school1.users["subject_teacher"])
    for name in ("accounts:role_list", "accounts:role_assign", "accounts:user_create", "accounts:user_search"):
        assert client.get(reverse(name)).status_code == 403, name


def test_principal_assigns_inside_school(client, world):
    principal = world.school1.users["principal"]
    login_verified(client, principal)
    target = world.school1.users["librarian"]
    form = client.get(reverse("accounts:role_assign")).content.decode()
    assert world.school1.school.name in form and world.school2.school.name not in form
    assert "Lãnh đạo cơ quan quản lý" not in form  # authority roles are not offered to a school
    response = client.post(
        reverse("accounts:role_assign"),
        {
            "username": target.username,
            "role": "clerk",
            "org_unit": world.school1.school.pk,
            "valid_from": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    ra = RoleAssignment.objects.get(user=target, role="clerk")
    assert ra.granted_by == principal
    assert AuditEvent.objects.filter(action="role.assign", object_id=str(ra.pk)).exists()


def test_principal_cannot_assign_in_another_school(client, world):
    principal = world.school1.users["principal"]
    login_verified(client, principal)
    before = RoleAssignment.objects.count()
    # Forged form: the other school is not among the choices.
    response = client.post(
        reverse("accounts:role_assign"),
        {
            "username": "gvbm_a",
            "role": "clerk",
            "org_unit": world.school2.school.pk,
            "valid_from": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "Hãy chọn một lựa chọn hợp lệ." in response.content.decode()
    assert RoleAssignment.objects.count() == before
    # The service says why, in Vietnamese, if it is reached directly.
    with pytest.raises(NotPermitted, match="trong phạm vi đơn vị mình quản lý"):
        from edudx.core.services import role_assign

        role_assign(
            actor=Actor(user=principal),
            user=world.school1.users["clerk"],
            role="clerk",
            org_unit=world.school2.school,
            valid_from=timezone.localdate(),
        )


def test_service_message_is_shown_on_the_form(client, world):
    login_verified(client, world.school1.users["principal"])
    response = client.post(
        reverse("accounts:role_assign"),
        {
            "username": "gvcn_a",
            "role": "homeroom_teacher",  # already held
            "org_unit": world.school1.school.pk,
            "valid_from": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "Người dùng đã có vai trò này tại đơn vị này." in response.content.decode()
    bad_dates = client.post(
        reverse("accounts:role_assign"),
        {
            "username": "gvcn_a",
            "role": "librarian",
            "org_unit": world.school1.school.pk,
            "valid_from": "2026-01-10",
            "valid_to": "2026-01-01",
        },
    )
    assert "Ngày kết thúc phải sau ngày bắt đầu." in bad_dates.content.decode()
    unknown = client.post(
        reverse("accounts:role_assign"),
        {"username": "khong-ton-tai", "role": "clerk", "org_unit": world.school1.school.pk, "valid_from": "2026-01-10"},
    )
    assert "Không tìm thấy tài khoản" in unknown.content.decode()


def test_revoke_asks_for_confirmation_and_respects_scope(client, world):
    principal = world.school1.users["principal"]
    login_verified(client, principal)
    ra = RoleAssignment.objects.get(user=world.school1.users["librarian"], role="librarian")
    url = reverse("accounts:role_revoke", args=[ra.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Thu hồi vai trò?" in confirm.content.decode()
    ra.refresh_from_db()
    assert ra.valid_to is None
    assert client.post(url).status_code == 302
    ra.refresh_from_db()
    assert ra.valid_to == timezone.localdate()
    assert AuditEvent.objects.filter(action="role.revoke", object_id=str(ra.pk)).exists()
    # Another school's assignment is "not found", and nothing changes.
    other = RoleAssignment.objects.get(user=world.school2.users["librarian"], role="librarian")
    assert client.get(reverse("accounts:role_revoke", args=[other.pk])).status_code == 404
    assert client.post(reverse("accounts:role_revoke", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.valid_to is None


def test_user_search_scope(client, world):
    login_verified(client, world.school1.users["principal"])
    url = reverse("accounts:user_search")
    html = client.get(url, {"username": "gv"}).content.decode()
    assert "gvcn_a" in html and "gvbm_a" in html and "gvcn_b" not in html
    # An exact user name finds an account anywhere (a teacher transferring in).
    assert "gvcn_b" in client.get(url, {"username": "gvcn_b"}).content.decode()
    assert client.get(url, {"username": "g"}).content.decode().strip() == ""


def test_user_create_by_principal(client, world):
    principal = world.school1.users["principal"]
    login_verified(client, principal)
    form = client.get(reverse("accounts:user_create")).content.decode()
    assert world.school2.school.name not in form
    response = client.post(
        reverse("accounts:user_create"),
        {
            "username": "nguyenvanan.thcs1",
            "full_name": "Nguyễn  Văn An",
            "email": "an@thcs1.edu.vn",
            "org_unit": world.school1.school.pk,
            "role": "subject_teacher",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("accounts:user_created")
    page = client.get(response["Location"]).content.decode()
    password = page.split('data-testid="temporary-password">')[1].split("<")[0]
    user = get_user_model().objects.get(username="nguyenvanan.thcs1")
    assert user.full_name == "Nguyễn Văn An"
    assert user.must_change_password and user.check_password(password)
    assert RoleAssignment.objects.filter(user=user, role="subject_teacher", org_unit=world.school1.school).exists()
    assert AuditEvent.objects.filter(action="account.create", object_id=str(user.pk)).exists()
    # The temporary password is shown once.
    assert client.get(reverse("accounts:user_created")).status_code == 302
    # Duplicate user names are refused in Vietnamese.
    again = client.post(
        reverse("accounts:user_create"),
        {"username": "NguyenVanAn.thcs1", "full_name": "X", "org_unit": world.school1.school.pk, "role": "clerk"},
    )
    assert "đã được sử dụng" in again.content.decode()


def test_user_create_service_rules(world):
    principal = Actor(user=world.school1.users["principal"])
    count = get_user_model().objects.count()
    with pytest.raises(NotPermitted):
        services.user_create(
            actor=principal, username="x.y", full_name="X Y", org_unit=world.school2.school, role="clerk"
        )
    with pytest.raises(NotPermitted):
        services.user_create(
            actor=principal, username="x.y", full_name="X Y", org_unit=world.school1.school, role="authority_leader"
        )
    with pytest.raises(ValidationFailed, match="Tên đăng nhập chỉ gồm"):
        services.user_create(
            actor=principal, username="có dấu", full_name="X Y", org_unit=world.school1.school, role="clerk"
        )
    with pytest.raises(ValidationFailed, match="Mật khẩu quá ngắn"):
        services.user_create(
            actor=principal,
            username="x.y",
            full_name="X Y",
            org_unit=world.school1.school,
            role="clerk",
            password="ngan",
        )
    assert get_user_model().objects.count() == count


def test_my_account_lists_own_roles(client, world):
    teacher = world.school1.users["homeroom_teacher"]
    ended = make_user("kiemnhiem")
    from edudx.core.services import role_assign

    role_assign(
        actor=None,
        user=ended,
        role="librarian",
        org_unit=world.school1.school,
        valid_from=dt.date(2020, 1, 1),
        valid_to=dt.date(2021, 1, 1),
    )
    login_verified(client, teacher)
    html = client.get(reverse("accounts:my_account")).content.decode()
    assert "Tài khoản của tôi" in html and "Giáo viên chủ nhiệm" in html and world.school1.school.name in html
    assert "Hiệu trưởng" not in html
    rows = selectors.my_role_list(actor=Actor(user=ended))
    assert [r.role for r in rows] == ["librarian"]
    client.force_login(ended)
    assert "Không hiệu lực" in client.get(reverse("accounts:my_account")).content.decode()

"""The audit log page: scoped by org path, searchable, filterable, exportable."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from edudx.core import audit, services
from edudx.core.enums import Role
from edudx.core.models import AuditEvent
from edudx.core.permissions import Actor
from edudx.core.views import audit_visible
from edudx.testing import login_verified


def _platform_event():
    return audit.record(
        actor=None,
        action="platform.setting",
        object_type="setting",
        object_id="1",
        object_label="Cấu hình chung",
        after={"x": 1},
    )


def test_principal_sees_own_school_events_only(world, client):
    services.orgunit_rename(
        actor=None, unit=world.school1.school, new_name="Trường THCS Một A", effective_on=dt.date(2025, 7, 1)
    )
    services.orgunit_rename(
        actor=None, unit=world.school2.school, new_name="Trường THCS Hai B", effective_on=dt.date(2025, 7, 1)
    )
    _platform_event()
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    response = client.get(reverse("core:audit_log"), {"action": "org.rename"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Trường THCS Một A" in html
    assert "Trường THCS Hai B" not in html
    assert "Cấu hình chung" not in client.get(reverse("core:audit_log")).content.decode()
    # Before and after are shown.
    assert "Trường THCS Một" in html and "2025-07-01" in html


def test_authority_sees_both_schools_and_platform_events(world, client):
    _platform_event()
    actor = Actor(user=world.authority_users[Role.SECURITY_OFFICER])
    visible = audit_visible(actor)
    paths = set(visible.values_list("org_path", flat=True))
    assert "" in paths
    assert any(p.startswith(world.school2.school.path) for p in paths)
    assert not any(p and not p.startswith(world.authority.path) for p in paths)
    login_verified(client, actor.user)
    html = client.get(reverse("core:audit_log"), {"q": "Cấu hình"}).content.decode()
    assert "Cấu hình chung" in html


def test_audit_page_is_refused_without_audit_view(world, client):
    for user in (world.school1.users[Role.CLERK], world.school1.users[Role.GUARDIAN], world.nobody):
        login_verified(client, user)
        assert client.get(reverse("core:audit_log")).status_code == 403


def test_search_filters_dates_and_pagination(world, client):
    login_verified(client, world.authority_users[Role.AUTHORITY_LEADER])
    url = reverse("core:audit_log")
    total = AuditEvent.objects.filter(org_path__startswith=world.authority.path).count()
    assert total > 25  # the world's role grants and creations, enough for two pages
    first = client.get(url)
    assert first.context["page_obj"].paginator.count == total
    assert len(first.context["rows"]) == 25
    by_actor = client.get(url, {"q": "system", "action": "role.assign"})
    assert all(r["event"].action == "role.assign" for r in by_actor.context["rows"])
    assert by_actor.context["page_obj"].paginator.count > 0
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    empty = client.get(url, {"date_from": tomorrow.isoformat()})
    assert empty.context["page_obj"].paginator.count == 0
    today = client.get(
        url, {"date_from": timezone.localdate().strftime("%d/%m/%Y"), "date_to": timezone.localdate().isoformat()}
    )
    assert today.context["page_obj"].paginator.count == total
    label = world.school2.school.name
    by_label = client.get(url, {"q": label})
    assert by_label.context["page_obj"].paginator.count >= 1
    assert all(label in r["event"].object_label for r in by_label.context["rows"])


def test_export_csv_and_xlsx_are_scoped(world, client):
    services.orgunit_rename(
        actor=None, unit=world.school2.school, new_name="Trường THCS Hai B", effective_on=dt.date(2025, 7, 1)
    )
    login_verified(client, world.school1.users[Role.PRINCIPAL])
    response = client.get(reverse("core:audit_log"), {"export": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert body.splitlines()[0].startswith("Số thứ tự,Thời điểm,Người thực hiện")
    assert "Trường THCS Hai B" not in body
    assert world.school1.school.name in body
    xlsx = client.get(reverse("core:audit_log"), {"export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")

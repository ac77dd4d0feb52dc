"""Catalogue administration: new versions (never edits), the edit → diff → reason → save pages, the permission
matrix, conflicts, the application form's table editor, and a dossier keeping the version it was submitted under."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from edudx.core.api import AuditEvent, Conflict, NotPermitted, ValidationFailed
from edudx.core.enums import Role
from edudx.procedures.catalogue import FeeKind, FeeRule, OnlineLevel
from edudx.procedures.catalogue_store import procedure_to_data
from edudx.procedures.forms_catalogue import initial_of
from edudx.procedures.models import Dossier, ProcedureVersion
from edudx.procedures.selectors.catalogue import procedure_of
from edudx.procedures.services.catalogue import current_versions, save_procedure_version, version_in_force
from edudx.procedures.states import DossierState
from edudx.testing import login_verified

pytestmark = pytest.mark.django_db

KEY = "diploma_correction"


def _client(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def _v1() -> ProcedureVersion:
    return ProcedureVersion.objects.get(key=KEY, version=1)


def _manager(world):
    return world.authority_users[Role.AUTHORITY_SPECIALIST]


def _post_data(version: ProcedureVersion, **changes) -> dict[str, str]:
    """The edit form as a browser would post it, from a stored version, with ``changes`` applied."""
    main, components, fields = initial_of(procedure_of(version))
    main = {**main, "base_version": version.version, "reason": "Cập nhật theo quyết định công bố", **changes}
    data: dict[str, str] = {}
    for name, value in main.items():
        if name == "key":
            continue
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list):
            data[name] = value  # type: ignore[assignment]
        elif isinstance(value, dt.date):
            data[name] = value.isoformat()
        else:
            data[name] = "" if value is None else str(value)
    for prefix, rows in (("components", components), ("fields", fields)):
        data[f"{prefix}-TOTAL_FORMS"] = str(len(rows))
        data[f"{prefix}-INITIAL_FORMS"] = str(len(rows))
        for i, row in enumerate(rows):
            for name, value in row.items():
                if isinstance(value, bool):
                    if value:
                        data[f"{prefix}-{i}-{name}"] = "on"
                else:
                    data[f"{prefix}-{i}-{name}"] = "" if value is None else str(value)
    return data


def test_save_writes_the_next_version_and_never_edits(world, actor_of):
    manager = actor_of(_manager(world))
    v1 = _v1()
    before = dict(v1.data)
    changed = dataclasses.replace(
        procedure_of(v1),
        processing_days=3,
        fee=FeeRule(amount_vnd=20000, kind=FeeKind.CHARGE, legal_basis="Nghị quyết HĐND về lệ phí"),
    )
    v2 = save_procedure_version(manager, changed, "Rút ngắn thời hạn", base_version=1)
    assert (v2.version, v2.processing_days, v2.fee_vnd, v2.reason) == (2, 3, 20000, "Rút ngắn thời hạn")
    assert v2.created_by == _manager(world)
    v1.refresh_from_db()
    assert v1.data == before and v1.valid_to is None  # the old version is untouched
    today = timezone.localdate()
    assert version_in_force(KEY, today) == v2
    assert current_versions(today).filter(key=KEY).get() == v2
    event = AuditEvent.objects.get(action="procedure.new_version", object_id=str(v2.pk))
    assert event.reason == "Rút ngắn thời hạn"
    assert event.before["processing_days"] == 5 and event.after["processing_days"] == 3


def test_a_version_from_a_later_date_leaves_today_unchanged(world, actor_of):
    manager = actor_of(_manager(world))
    later = timezone.localdate() + dt.timedelta(days=30)
    v2 = save_procedure_version(
        manager, dataclasses.replace(procedure_of(_v1()), name="Chỉnh sửa văn bằng (mới)", valid_from=later), "Luật mới"
    )
    assert version_in_force(KEY, timezone.localdate()).version == 1
    assert version_in_force(KEY, later) == v2


def test_refusals_change_nothing(world, actor_of):
    manager = actor_of(_manager(world))
    principal = actor_of(world.school1.users[Role.PRINCIPAL])
    base = procedure_of(_v1())
    events = AuditEvent.objects.count()
    with pytest.raises(NotPermitted):
        save_procedure_version(principal, dataclasses.replace(base, processing_days=2), "x")
    with pytest.raises(NotPermitted):
        save_procedure_version(actor_of(world.nobody), dataclasses.replace(base, key="brand_new"), "x", create=True)
    with pytest.raises(ValidationFailed) as missing_reason:
        save_procedure_version(manager, dataclasses.replace(base, processing_days=2), "  ")
    assert missing_reason.value.code == "reason_required"
    with pytest.raises(ValidationFailed) as unchanged:
        save_procedure_version(manager, base, "Không đổi")
    assert unchanged.value.code == "procedure_unchanged"
    with pytest.raises(ValidationFailed) as invalid:
        save_procedure_version(manager, dataclasses.replace(base, code="12345", processing_days=500), "Sai")
    assert len(invalid.value.details["errors"]) == 2
    with pytest.raises(ValidationFailed):  # full online while marked not eligible (catalogue.procedure_errors)
        save_procedure_version(
            manager,
            dataclasses.replace(base, online_level=OnlineLevel.FULL, full_online_eligible=False),
            "Sai",
        )
    with pytest.raises(Conflict):
        save_procedure_version(manager, dataclasses.replace(base, name="Tên khác"), "x", create=True)
    assert ProcedureVersion.objects.filter(key=KEY).count() == 1
    assert not ProcedureVersion.objects.filter(key="brand_new").exists()
    assert AuditEvent.objects.count() == events


def test_a_stale_edit_is_refused(world, actor_of):
    manager = actor_of(_manager(world))
    base = procedure_of(_v1())
    save_procedure_version(manager, dataclasses.replace(base, processing_days=4), "Người thứ nhất", base_version=1)
    with pytest.raises(Conflict) as stale:
        save_procedure_version(manager, dataclasses.replace(base, processing_days=6), "Người thứ hai", base_version=1)
    assert stale.value.code == "procedure_not_newest"
    assert ProcedureVersion.objects.filter(key=KEY).count() == 2


def test_a_code_of_another_procedure_is_refused(world, actor_of):
    manager = actor_of(_manager(world))
    save_procedure_version(manager, dataclasses.replace(procedure_of(_v1()), code="1.000001"), "Mã TTHC")
    other = procedure_of(ProcedureVersion.objects.get(key="diploma_copy_from_register", version=1))
    with pytest.raises(ValidationFailed, match="1.000001"):
        save_procedure_version(manager, dataclasses.replace(other, code="1.000001"), "Trùng mã")


def test_a_submitted_dossier_keeps_its_version(world, actor_of):
    v1 = _v1()
    dossier = Dossier.objects.create(
        code="H56.01.01-260105-0001",
        procedure=v1,
        org_unit=world.authority,
        channel="online",
        state=DossierState.SUBMITTED,
        applicant=world.school1.users[Role.GUARDIAN],
        applicant_name="Phụ huynh a",
        submitted_at=timezone.now(),
    )
    v2 = save_procedure_version(
        actor_of(_manager(world)), dataclasses.replace(procedure_of(v1), processing_days=10), "Đổi thời hạn"
    )
    dossier.refresh_from_db()
    assert dossier.procedure_id == v1.pk != v2.pk
    assert procedure_of(dossier.procedure).processing_days == 5


# ---------------------------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------------------------


def test_admin_pages_permission_matrix(world):
    urls = [
        reverse("procedures:catalogue_admin"),
        reverse("procedures:catalogue_history", args=[KEY]),
        reverse("procedures:catalogue_edit", args=[KEY]),
        reverse("procedures:catalogue_version", args=[KEY, 1]),
        reverse("procedures:catalogue_create"),
    ]
    anonymous = Client()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (world.school1.users[Role.PRINCIPAL], world.nobody, world.school1.users[Role.GUARDIAN]):
        client = _client(user)
        for url in urls:
            assert client.get(url).status_code == 403, (user, url)
        response = client.post(reverse("procedures:catalogue_edit", args=[KEY]), {**_post_data(_v1()), "confirm": "1"})
        assert response.status_code == 403
    assert ProcedureVersion.objects.filter(key=KEY).count() == 1
    for role in (Role.AUTHORITY_SPECIALIST, Role.AUTHORITY_LEADER):
        client = _client(world.authority_users[role])
        for url in urls:
            assert client.get(url).status_code == 200, (role, url)
    admin = _client(_manager(world)).get(urls[0]).content.decode()
    assert "Chỉnh sửa nội dung văn bằng, chứng chỉ" in admin and reverse("procedures:calendar") in admin


def test_edit_shows_the_diff_and_saves_with_the_reason(world):
    client = _client(_manager(world))
    url = reverse("procedures:catalogue_edit", args=[KEY])
    page = client.get(url)
    assert page.status_code == 200 and "Chỉnh sửa nội dung văn bằng, chứng chỉ" in page.content.decode()
    data = _post_data(_v1(), processing_days="3", fee_amount="15000", fee_legal_basis="Nghị quyết HĐND tỉnh")
    confirm = client.post(url, data)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and 'data-testid="diff"' in html
    assert "5 ngày làm việc" in html and "3 ngày làm việc" in html and "15.000 đồng" in html
    assert ProcedureVersion.objects.filter(key=KEY).count() == 1  # nothing saved before the confirmation
    saved = client.post(url, {**data, "confirm": "1"})
    assert saved.status_code == 302 and saved["Location"] == reverse("procedures:catalogue_history", args=[KEY])
    v2 = ProcedureVersion.objects.get(key=KEY, version=2)
    assert (v2.processing_days, v2.fee_vnd, v2.reason) == (3, 15000, "Cập nhật theo quyết định công bố")
    # The components survived the round trip through the form.
    assert procedure_of(v2).components == procedure_of(_v1()).components
    history = client.get(reverse("procedures:catalogue_history", args=[KEY])).content.decode()
    assert "Phiên bản 2" in history and "đang áp dụng" in history


def test_the_reason_is_mandatory_and_the_key_cannot_change(world):
    client = _client(_manager(world))
    url = reverse("procedures:catalogue_edit", args=[KEY])
    response = client.post(url, {**_post_data(_v1(), processing_days="3", reason=""), "confirm": "1"})
    assert response.status_code == 200 and 'id="id_reason"' in response.content.decode()
    assert ProcedureVersion.objects.filter(key=KEY).count() == 1
    response = client.post(url, {**_post_data(_v1(), processing_days="3"), "key": "hijacked", "confirm": "1"})
    assert response.status_code == 302
    assert not ProcedureVersion.objects.filter(key="hijacked").exists()
    assert ProcedureVersion.objects.filter(key=KEY).count() == 2


def test_form_table_editor_adds_fields_and_refuses_a_bad_definition(world):
    client = _client(_manager(world))
    url = reverse("procedures:catalogue_edit", args=[KEY])
    data = _post_data(_v1(), has_form=True, form_code="diploma_correction", form_title="Đơn đề nghị chỉnh sửa")
    data.update(
        {
            "fields-TOTAL_FORMS": "2",
            "fields-INITIAL_FORMS": "0",
            "fields-0-position": "2",
            "fields-0-key": "reason",
            "fields-0-label": "Nội dung đề nghị chỉnh sửa",
            "fields-0-type": "textarea",
            "fields-0-required": "on",
            "fields-1-position": "1",
            "fields-1-key": "holder_name",
            "fields-1-label": "Họ và tên người được cấp văn bằng",
            "fields-1-type": "text",
            "fields-1-required": "on",
            "fields-1-prefill": "guardian.full_name",
        }
    )
    bad = {**data, "fields-0-key": "Bad Key", "fields-0-type": "choice", "confirm": "1"}
    response = client.post(url, bad)
    html = response.content.decode()
    assert response.status_code == 200 and "Bad Key" in html and "ít nhất một lựa chọn" in html
    assert ProcedureVersion.objects.filter(key=KEY).count() == 1
    assert client.post(url, {**data, "confirm": "1"}).status_code == 302
    form = procedure_of(ProcedureVersion.objects.get(key=KEY, version=2)).application_form
    assert form is not None and [f.key for f in form.fields] == ["holder_name", "reason"]
    assert form.fields[0].prefill == "guardian.full_name"
    # An added row comes back empty and is ignored when left empty.
    more = client.post(url, {**_post_data(ProcedureVersion.objects.get(key=KEY, version=2)), "add_row": "fields"})
    assert 'name="fields-2-key"' in more.content.decode()


def test_create_a_new_procedure(world):
    client = _client(_manager(world))
    url = reverse("procedures:catalogue_create")
    data = {
        "key": "school_confirmation",
        "name": "Xác nhận học sinh đang học tại trường",
        "code": "",
        "legal_basis": "Điều lệ trường trung học cơ sở",
        "authority_level": "school",
        "competent_authority": "Hiệu trưởng",
        "sector": "Giáo dục và Đào tạo",
        "processing_days": "1",
        "fee_kind": "charge",
        "online_level": "full",
        "full_online_eligible": "on",
        "result_type": "written_reply",
        "result_name": "Giấy xác nhận",
        "valid_from": "2025-07-01",
        "unconfirmed_fields": ["code"],
        "reason": "Thủ tục mới của trường",
        "components-TOTAL_FORMS": "1",
        "components-INITIAL_FORMS": "0",
        "components-0-name": "Đơn đề nghị xác nhận",
        "components-0-form": "original",
        "components-0-count": "1",
        "components-0-required": "on",
        "fields-TOTAL_FORMS": "0",
        "fields-INITIAL_FORMS": "0",
    }
    assert client.post(url, data).status_code == 200  # the confirmation page
    assert client.post(url, {**data, "confirm": "1"}).status_code == 302
    created = ProcedureVersion.objects.get(key="school_confirmation")
    assert created.version == 1 and procedure_of(created).components[0].name == "Đơn đề nghị xác nhận"
    assert AuditEvent.objects.filter(action="procedure.create", object_id=str(created.pk)).exists()
    again = client.post(url, {**data, "confirm": "1"})
    assert again.status_code == 200 and "Đã có thủ tục" in again.content.decode()


def test_api_versions_and_new_version(world):
    api = APIClient()
    assert api.get("/api/v1/procedures/catalogue-versions/").status_code in (401, 403)
    api.force_authenticate(world.school1.users[Role.PRINCIPAL])
    assert api.get("/api/v1/procedures/catalogue-versions/").json()["count"] == 0
    body = {
        "procedure": {**procedure_to_data(procedure_of(_v1())), "processing_days": 2},
        "reason": "API",
        "base_version": 1,
    }
    assert api.post("/api/v1/procedures/catalogue-versions/", body, format="json").status_code == 403
    api.force_authenticate(_manager(world))
    listed = api.get("/api/v1/procedures/catalogue-versions/", {"key": KEY}).json()
    assert listed["count"] == 1 and listed["results"][0]["version"] == 1
    created = api.post("/api/v1/procedures/catalogue-versions/", body, format="json")
    assert created.status_code == 201 and created.json()["version"] == 2
    stale = api.post("/api/v1/procedures/catalogue-versions/", body, format="json")
    assert stale.status_code == 409
    broken = api.post(
        "/api/v1/procedures/catalogue-versions/", {"procedure": {"key": KEY}, "reason": "x"}, format="json"
    )
    assert broken.status_code == 400
    schema = api.get("/api/v1/openapi.json").json()
    assert "/api/v1/procedures/catalogue-versions/" in schema["paths"]
    assert "/api/v1/procedures/catalogue/{key}/" in schema["paths"]

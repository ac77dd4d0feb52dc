"""The register (Mẫu 07): contents and on-time outcome per dossier, filters by period, procedure and state, the
print page and the XLSX / CSV exports; only the unit's dossiers."""

from __future__ import annotations

import io

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from edudx.core.permissions import Actor
from edudx.procedures.selectors.desk import RegisterFilters, register_rows
from edudx.procedures.states import ActorKind, DossierAction, DossierState
from edudx.testing import login_verified

from .test_workflow import local, make_dossier, other_authority, run, staff  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
A, K, S = DossierAction, ActorKind, DossierState


@pytest.fixture
def book(world, staff):  # noqa: F811
    """Three dossiers of March 2026: approved early, approved late, refused; one of April; one of another unit."""
    leader, handler = staff
    early = make_dossier(world, applicant_name="Nguyễn Văn Sớm", submitted_at=local(2026, 3, 2, 8, 0))
    late = make_dossier(
        world, key="diploma_correction", applicant_name="Trần Thị Muộn", submitted_at=local(2026, 3, 3, 8, 0)
    )
    refused = make_dossier(world, applicant_name="Lê Văn Từ", submitted_at=local(2026, 3, 4, 8, 0))
    april = make_dossier(world, applicant_name="Phạm Tháng Tư", submitted_at=local(2026, 4, 1, 8, 0))
    unit, _s, _l = other_authority(world)
    make_dossier(world, unit=unit, applicant_name="Đơn vị khác", submitted_at=local(2026, 3, 5, 8, 0))
    for dossier, start, approve_at in (
        (early, local(2026, 3, 2, 9, 0), local(2026, 3, 5, 10, 0)),  # due 9/3 → early
        (late, local(2026, 3, 3, 9, 0), local(2026, 3, 12, 10, 0)),  # due 10/3 → late
    ):
        run(handler, dossier, A.RECEIVE, K.DESK, at=start)
        run(handler, dossier, A.ASSIGN, K.DESK, at=start, to_user_id=handler.user.pk)
        run(handler, dossier, A.START_PROCESSING, K.HANDLER, at=start)
        run(handler, dossier, A.SUBMIT_FOR_APPROVAL, K.HANDLER, at=approve_at)
        run(leader, dossier, A.APPROVE, K.LEADER, at=approve_at)
    run(handler, refused, A.REFUSE, K.DESK, at=local(2026, 3, 4, 9, 0), note="Không thuộc thẩm quyền")
    return early, late, refused, april


def test_register_rows_and_outcomes(world, staff, book):  # noqa: F811
    _leader, handler = staff
    early, late, refused, _april = book
    rows = register_rows(handler, RegisterFilters(date_from=local(2026, 3, 1).date(), date_to=local(2026, 3, 31).date()),
                         now=local(2026, 4, 15, 9, 0))  # fmt: skip
    assert [r.dossier.code for r in rows] == [early.code, late.code, refused.code]
    assert [r.number for r in rows] == [1, 2, 3]
    by_code = {r.dossier.code: r for r in rows}
    assert by_code[early.code].assessment.punctuality == "early"
    assert by_code[late.code].assessment.punctuality == "late"
    assert by_code[refused.code].assessment is None  # never received: no clock
    assert by_code[early.code].dossier.handler == handler.user
    only_late = register_rows(handler, RegisterFilters(procedure="diploma_correction"), now=local(2026, 4, 15, 9, 0))
    assert [r.dossier.code for r in only_late] == [late.code]
    refused_only = register_rows(handler, RegisterFilters(state=S.REFUSED), now=local(2026, 4, 15, 9, 0))
    assert [r.dossier.code for r in refused_only] == [refused.code]


def test_register_page_print_and_exports(world, staff, book):  # noqa: F811
    _leader, handler = staff
    early, late, refused, april = book
    client = Client()
    login_verified(client, handler.user)
    url = reverse("procedures:register")
    params = {"from": "2026-03-01", "to": "2026-03-31"}
    page = client.get(url, params)
    body = page.content.decode()
    assert page.status_code == 200
    assert early.code in body and late.code in body and refused.code in body and april.code not in body
    assert "Đơn vị khác" not in body
    assert "@media print" in body and "Trước hạn" in body and "Quá hạn" in body
    xlsx = client.get(url, {**params, "export": "xlsx"})
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["STT", "Mã hồ sơ", "Ngày nộp"]
    assert [row[1] for row in values[1:]] == [early.code, late.code, refused.code]
    assert values[2][-1] == "Quá hạn" and values[1][-1] == "Trước hạn"
    csv = client.get(url, {**params, "export": "csv"})
    text = b"".join(csv.streaming_content).decode("utf-8-sig")
    assert "Trần Thị Muộn" in text and "Phạm Tháng Tư" not in text


def test_register_is_for_staff(world):
    from edudx.core.enums import Role

    client = Client()
    login_verified(client, world.school1.users[Role.GUARDIAN])
    assert client.get(reverse("procedures:register")).status_code == 403
    assert Actor(world.nobody).subtree_paths("dossier.view") == []

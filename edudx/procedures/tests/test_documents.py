"""Forms 01–06 as PDFs: the right data printed (text read back from the PDF), the QR code to the tracking page,
and who may download which form (staff of the unit every form; the applicant only the forms of their own dossier
addressed to them)."""

from __future__ import annotations

import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from pyhanko.pdf_utils.reader import PdfFileReader

from edudx.core.enums import Role
from edudx.core.permissions import Actor
from edudx.procedures import documents
from edudx.procedures.models import DossierFile, FileRole
from edudx.procedures.states import ActorKind, DossierAction
from edudx.testing import login_verified, make_user

from .test_workflow import local, make_dossier, other_authority, run, staff  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
A, K = DossierAction, ActorKind


def _cmap(data: bytes) -> dict[int, str]:
    text = data.decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for glyph, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(glyph, 16)] = bytes.fromhex(target).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, start in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            first = ord(bytes.fromhex(start).decode("utf-16-be")[0])
            for offset in range(int(high, 16) - int(low, 16) + 1):
                mapping[int(low, 16) + offset] = chr(first + offset)
    return mapping


def page_content(pdf: bytes) -> str:
    reader = PdfFileReader(io.BytesIO(pdf))
    page = reader.root["/Pages"]["/Kids"][0].get_object()
    contents = page["/Contents"]
    streams = contents if isinstance(contents, list) else [contents]
    return b"".join(s.get_object().data for s in streams).decode("latin-1")


def pdf_text(pdf: bytes) -> str:
    """The text of a WeasyPrint PDF (two-byte glyph ids mapped through each font's ToUnicode CMap)."""
    reader = PdfFileReader(io.BytesIO(pdf))
    out: list[str] = []
    for page_ref in reader.root["/Pages"]["/Kids"]:
        page = page_ref.get_object()
        fonts = {
            str(name): _cmap(ref.get_object()["/ToUnicode"].get_object().data)
            for name, ref in page["/Resources"]["/Font"].items()
        }
        contents = page["/Contents"]
        streams = contents if isinstance(contents, list) else [contents]
        data = b"".join(s.get_object().data for s in streams).decode("latin-1")
        font: dict[int, str] = {}
        for token in re.finditer(r"/(\S+)\s+[\d.]+\s+Tf|\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj|(ET)", data, re.S):
            if token.group(1):
                font = fonts.get("/" + token.group(1), {})
            elif token.group(4):
                out.append(" ")
            else:
                chunks = (
                    re.findall(r"<([0-9a-fA-F]*)>", token.group(2)) if token.group(2) is not None else [token.group(3)]
                )
                for chunk in chunks:
                    out.extend(font.get(int(chunk[i : i + 4], 16), "") for i in range(0, len(chunk), 4))
    return re.sub(r"\s+", " ", "".join(out))


def _flat(text: str) -> str:
    return text.replace(" ", "")


@pytest.fixture
def received(world, staff):  # noqa: F811
    _leader, desk = staff
    dossier = make_dossier(world, applicant_name="Trần Văn Bình")
    DossierFile.objects.create(
        dossier=dossier, role=FileRole.COMPONENT, component="Đơn xin chuyển trường", filename="don.pdf",
        content_type="application/pdf", size=4, sha256="0" * 64, content=b"%PDF",
    )  # fmt: skip
    run(desk, dossier, A.RECEIVE, K.DESK, at=local(2026, 3, 4, 9, 15))
    dossier.refresh_from_db()
    return dossier


def test_receipt_prints_the_code_appointment_components_and_officer(received):
    pdf = documents.render_form(received, "01")
    text = pdf_text(pdf)
    flat = _flat(text)
    assert _flat("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ") in flat
    assert _flat(received.code) in flat
    assert _flat("Phòng GDĐT Thử Nghiệm") in flat
    assert _flat("Trần Văn Bình") in flat and "0912345678" in flat
    assert _flat(received.procedure.name[:40]) in flat
    assert _flat("Đơn xin chuyển trường") in flat
    assert _flat("5 ngày làm việc") in flat
    assert _flat("17 giờ 00 phút, ngày 11/03/2026") in flat  # Wed 4/3 09:15 + 5 working days
    assert _flat("09 giờ 15 phút, ngày 04/03/2026") in flat
    assert _flat("Phạm Văn Chuyên") in flat  # the receiving officer
    assert _flat("không thu") in flat
    assert _flat(documents.tracking_url(received)) in flat
    # The QR code is drawn: an inline SVG of many short line segments (its modules) on the page.
    assert page_content(pdf).count(" l\n") > 100


def test_supplement_refusal_apology_stop_and_control_sheet(world, staff, received):  # noqa: F811
    leader, handler = staff
    run(handler, received, A.ASSIGN, K.DESK, at=local(2026, 3, 4, 10, 0), to_user_id=handler.user.pk)
    run(handler, received, A.START_PROCESSING, K.HANDLER, at=local(2026, 3, 4, 10, 5))
    run(handler, received, A.REQUEST_SUPPLEMENT, K.HANDLER, at=local(2026, 3, 5, 9, 0), note="Bổ sung học bạ lớp 5")
    run(handler, received, A.SUBMIT_SUPPLEMENT, K.DESK, at=local(2026, 3, 6, 9, 0))
    run(handler, received, A.APOLOGISE_AND_EXTEND, K.HANDLER, at=local(2026, 3, 11, 9, 0),
        note="Chờ xác minh của trường cũ", new_due_at=local(2026, 3, 20, 17, 0))  # fmt: skip
    run(leader, received, A.STOP, K.LEADER, at=local(2026, 3, 13, 9, 0), note="Người nộp đề nghị dừng")
    received.refresh_from_db()

    text02 = _flat(pdf_text(documents.render_form(received, "02")))
    assert _flat("PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ") in text02 and _flat("Bổ sung học bạ lớp 5") in text02
    text04 = _flat(pdf_text(documents.render_form(received, "04")))
    assert _flat("Chờ xác minh của trường cũ") in text04
    assert _flat("ngày 12/03/2026") in text04  # old date (moved one working day by the supplement)
    assert _flat("17 giờ 00 phút, ngày 20/03/2026") in text04
    text05 = _flat(pdf_text(documents.render_form(received, "05")))
    assert _flat("THÔNG BÁO DỪNG GIẢI QUYẾT HỒ SƠ") in text05 and _flat("Người nộp đề nghị dừng") in text05
    text06 = _flat(pdf_text(documents.render_form(received, "06")))
    assert _flat("PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ") in text06
    assert _flat("Nhận xử lý") in text06
    assert _flat("Trước hạn") in text06  # steps on days before the due day
    assert _flat("Phạm Văn Chuyên") in text06

    refused = make_dossier(world)
    run(handler, refused, A.REFUSE, K.DESK, at=local(2026, 3, 4, 9, 0), note="Không thuộc thẩm quyền giải quyết")
    text03 = _flat(pdf_text(documents.render_form(refused, "03")))
    assert _flat("PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ") in text03
    assert _flat("Không thuộc thẩm quyền giải quyết") in text03


def test_a_form_not_issued_is_not_rendered(received):
    from edudx.core.api import DomainError

    with pytest.raises(DomainError):
        documents.render_form(received, "03")
    with pytest.raises(DomainError):
        documents.render_form(received, "07")


def _client(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def test_form_download_permissions(world, staff, received):  # noqa: F811
    leader, _desk = staff
    url01 = reverse("procedures:form_pdf", args=[received.pk, "01"])
    url06 = reverse("procedures:form_pdf", args=[received.pk, "06"])
    applicant = _client(world.school1.users[Role.GUARDIAN])
    response = applicant.get(url01)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert applicant.get(url06).status_code == 404  # the control sheet is the unit's internal record
    assert _client(leader.user).get(url06).status_code == 200
    other_citizen = make_user("nguoidan_khac", "Người dân khác")
    assert _client(other_citizen).get(url01).status_code == 404
    _unit, stranger, _l = other_authority(world)
    assert _client(stranger).get(url01).status_code == 404
    assert Client().get(url01).status_code == 302  # anonymous → log-in
    assert Actor(other_citizen).user.pk != received.applicant_id

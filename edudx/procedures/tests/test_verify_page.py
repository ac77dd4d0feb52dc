"""The public check of a result (no log-in): verdict, signer, hash, masked applicant; a copy compared byte for byte."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from edudx.core.api import Actor
from edudx.procedures.catalogue import ResultDelivery
from edudx.procedures.services import results as services

from .test_results_issue import DECISION, ca_dir, fast_pdf, make_dossier, sealed_unit  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(world, sealed_unit, fast_pdf):  # noqa: F811
    dossier = make_dossier(world, delivery=ResultDelivery.COUNTER)
    result = services.result_issue(
        actor=Actor(world.authority_users["authority_specialist"]), dossier_id=dossier.pk, decision_text=DECISION
    )
    return dossier, result


def _tampered(content: bytes) -> bytes:
    data = bytearray(content)
    middle = len(data) // 3
    data[middle] = (data[middle] + 1) % 256
    return bytes(data)


def test_public_page_shows_a_valid_result_without_personal_data(issued):
    dossier, result = issued
    client = Client()  # nobody signed in
    page = client.get(reverse("dossier_verify:check", args=[result.verify_token]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Hợp lệ" in html and "Không hợp lệ" not in html
    assert dossier.code in html and dossier.procedure.name in html
    assert "Phòng GDĐT Thử Nghiệm" in html  # the organisation that signed
    assert result.sha256 in html
    assert "Nguyễn V. B." in html and "Nguyễn Văn Bình" not in html and dossier.applicant_phone not in html
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "same-origin"


def test_uploaded_copy_same_bytes_valid_one_changed_byte_invalid(issued):
    _dossier, result = issued
    url = reverse("dossier_verify:check", args=[result.verify_token])
    client = Client()
    same = client.post(url, {"file": SimpleUploadedFile("ket-qua.pdf", bytes(result.content))})
    assert 'data-testid="upload-verdict"><strong>Hợp lệ' in same.content.decode()

    changed = client.post(url, {"file": SimpleUploadedFile("ket-qua.pdf", _tampered(bytes(result.content)))})
    html = changed.content.decode()
    assert 'data-testid="upload-verdict"><strong>Không hợp lệ' in html
    assert "mã băm SHA-256 không khớp" in html

    not_pdf = client.post(url, {"file": SimpleUploadedFile("ket-qua.pdf", b"hello")})
    assert "Tệp không phải PDF" in not_pdf.content.decode()


def test_unknown_token_and_lookup(issued):
    _dossier, result = issued
    client = Client()
    assert client.get(reverse("dossier_verify:check", args=["khong-co-ma-nay"])).status_code == 404
    found = client.get(reverse("dossier_verify:lookup"), {"code": result.verify_token})
    assert found.status_code == 302 and found.url == reverse("dossier_verify:check", args=[result.verify_token])
    missing = client.get(reverse("dossier_verify:lookup"), {"code": "sai-ma"})
    assert "Không tìm thấy" in missing.content.decode()


def test_public_api_check(issued):
    dossier, result = issued
    client = Client()
    url = reverse("procedures-result-verify", args=[result.verify_token])
    status = client.get(url).json()
    assert status["valid"] is True and status["dossier"] == dossier.code and status["sha256"] == result.sha256
    assert status["applicant"] == "Nguyễn V. B." and status["signer"] == "Phòng GDĐT Thử Nghiệm"

    same = client.post(url, {"file": SimpleUploadedFile("kq.pdf", bytes(result.content))}).json()
    assert same["valid"] is True and same["same"] is True
    changed = client.post(url, {"file": SimpleUploadedFile("kq.pdf", _tampered(bytes(result.content)))}).json()
    assert changed["valid"] is False and changed["same"] is False and changed["reasons"]
    by_hash = client.post(url, {"sha256": result.sha256}, content_type="application/json").json()
    assert by_hash["valid"] is True
    assert client.post(url, {}, content_type="application/json").status_code == 400
    assert client.get(reverse("procedures-result-verify", args=["sai-ma"])).status_code == 404


def test_invalid_stored_signature_is_reported(issued, settings, tmp_path):
    """A verifier that does not trust the issuing CA says so instead of "valid"."""
    _dossier, result = issued
    settings.SIGNING_CA_DIR = tmp_path / "another-ca"  # no root there: nothing is trusted
    html = Client().get(reverse("dossier_verify:check", args=[result.verify_token])).content.decode()
    assert "Không hợp lệ" in html

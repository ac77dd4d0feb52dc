"""PAdES signing with the local CA, sequential signatures, and verification of tampered or foreign files."""

from __future__ import annotations

import hashlib
import io
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from django.core.management import call_command
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from edudx.core import signing
from edudx.core.pdf import render_pdf

SCHOOL = "Trường Tiểu học Phú Cường"


@pytest.fixture(scope="module")
def pki():
    ca = signing.create_root_ca()
    return {
        "ca": ca,
        "other_ca": signing.create_root_ca(common_name="Một CA khác"),
        "teacher": signing.issue_personal_certificate(
            ca, full_name="Trần Thị Hồng", organisation=SCHOOL, title="Giáo viên chủ nhiệm", email="hong@truong.example"
        ),
        "principal": signing.issue_personal_certificate(
            ca, full_name="Lê Văn Đức", organisation=SCHOOL, title="Hiệu trưởng"
        ),
        "seal": signing.issue_organisation_certificate(
            ca, organisation_name=SCHOOL, parent_organisation="UBND phường Thủ Dầu Một"
        ),
    }


@pytest.fixture(scope="module")
def unsigned_pdf() -> bytes:
    return render_pdf("core/pdf/sample.html", {"issuer": SCHOOL, "student_name": "Nguyễn Văn Bình"})


def _sign(certified, pdf: bytes, field_name: str) -> bytes:
    return signing.LocalCASigner(certified).sign(
        pdf, field_name=field_name, reason="Xác nhận học bạ", location="Thủ Dầu Một", signer_name=certified.common_name
    )


@pytest.fixture(scope="module")
def three_signed(pki, unsigned_pdf) -> list[bytes]:
    first = _sign(pki["teacher"], unsigned_pdf, "gvcn")
    second = _sign(pki["principal"], first, "hieu_truong")
    third = _sign(pki["seal"], second, "dau_truong")
    return [first, second, third]


def test_certificates_have_the_expected_shape(pki):
    teacher = pki["teacher"].certificate
    assert teacher.issuer == pki["ca"].certificate.subject
    assert pki["teacher"].common_name == "Trần Thị Hồng"
    assert teacher.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = teacher.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    assert teacher.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.RFC822Name
    ) == ["hong@truong.example"]
    seal_subject = pki["seal"].certificate.subject
    assert seal_subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_NAME)[0].value == SCHOOL
    assert pki["seal"].chain == (pki["ca"].certificate,)
    root = pki["ca"].certificate
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert teacher.not_valid_after_utc <= root.not_valid_after_utc


def test_local_signer_implements_the_port(pki):
    assert isinstance(signing.LocalCASigner(pki["teacher"]), signing.Signer)


def test_sign_then_verify(pki, three_signed):
    signed = three_signed[0]
    result = signing.verify_pdf(signed, [pki["ca"].certificate])
    assert result.valid, result.problems
    assert result.problems == []
    assert result.sha256 == hashlib.sha256(signed).hexdigest()
    [signer] = result.signers
    assert (signer.field_name, signer.name, signer.organisation) == ("gvcn", "Trần Thị Hồng", SCHOOL)
    assert signer.intact and signer.trusted and not signer.modified_after and signer.valid
    assert signer.signed_at is not None
    assert signer.certificate_serial == format(pki["teacher"].certificate.serial_number, "x")


def test_three_sequential_signatures_all_valid(pki, three_signed, unsigned_pdf):
    first, second, third = three_signed
    # Each signature is an incremental update: earlier revisions are byte-for-byte prefixes.
    assert first.startswith(unsigned_pdf) and second.startswith(first) and third.startswith(second)
    for count, signed in enumerate(three_signed, start=1):
        result = signing.verify_pdf(signed, [pki["ca"].certificate])
        assert result.valid, result.problems
        assert len(result.signers) == count
    final = signing.verify_pdf(third, [pki["ca"].certificate])
    assert [s.name for s in final.signers] == ["Trần Thị Hồng", "Lê Văn Đức", SCHOOL]
    assert [s.field_name for s in final.signers] == ["gvcn", "hieu_truong", "dau_truong"]
    assert all(s.intact and s.trusted and not s.modified_after for s in final.signers)


def test_trust_roots_may_be_given_as_pem(pki, three_signed):
    result = signing.verify_pdf(three_signed[2], [pki["other_ca"].certificate_pem() + pki["ca"].certificate_pem()])
    assert result.valid, result.problems


def test_a_flipped_byte_invalidates(pki, three_signed):
    signed = bytearray(three_signed[2])
    # A byte inside the first page's content stream, well inside every signature's byte range.
    position = signed.index(b"stream\n") + 30
    signed[position] ^= 0x01
    result = signing.verify_pdf(bytes(signed), [pki["ca"].certificate])
    assert not result.valid
    assert result.sha256 != hashlib.sha256(three_signed[2]).hexdigest()
    assert result.signers and not any(s.intact for s in result.signers)
    assert any("không còn nguyên vẹn" in problem for problem in result.problems)


def test_an_incremental_edit_after_signing_is_reported(pki, three_signed):
    writer = IncrementalPdfFileWriter(io.BytesIO(three_signed[1]))
    overlay = generic.StreamObject(stream_data=b"BT /F1 14 Tf 72 72 Td (Diem 10) Tj ET")
    writer.add_stream_to_page(0, writer.add_object(overlay))
    output = io.BytesIO()
    writer.write(output)
    result = signing.verify_pdf(output.getvalue(), [pki["ca"].certificate])
    assert not result.valid
    assert [s.modified_after for s in result.signers] == [True, True]
    assert all(s.intact and s.trusted for s in result.signers)  # the signed revisions themselves are untouched
    assert any("sửa đổi sau khi Lê Văn Đức ký" in problem for problem in result.problems)


def test_a_different_trust_root_is_not_trusted(pki, three_signed):
    result = signing.verify_pdf(three_signed[2], [pki["other_ca"].certificate])
    assert not result.valid
    assert all(s.intact and not s.trusted for s in result.signers)
    assert len(result.problems) == 3
    assert all("không được xác thực" in problem for problem in result.problems)


def test_unsigned_and_damaged_files(pki, unsigned_pdf):
    unsigned = signing.verify_pdf(unsigned_pdf, [pki["ca"].certificate])
    assert not unsigned.valid and unsigned.signers == []
    assert unsigned.problems == ["Tệp không có chữ ký số."]
    garbage = signing.verify_pdf(b"not a pdf at all", [pki["ca"].certificate])
    assert not garbage.valid
    assert "Không đọc được tệp PDF" in garbage.problems[0]


def test_signing_the_same_field_twice_is_refused(pki, three_signed):
    with pytest.raises(signing.SigningFailed, match="gvcn"):
        _sign(pki["principal"], three_signed[0], "gvcn")


def test_keys_stored_privately_and_loaded_back(pki, unsigned_pdf, tmp_path):
    signing.store_certified_key(pki["principal"], tmp_path, "hieu-truong", passphrase=b"mat-khau")
    key_path = tmp_path / "hieu-truong.key.pem"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    assert b"ENCRYPTED" in key_path.read_bytes()
    signer = signing.LocalCASigner.from_files(
        tmp_path / "hieu-truong.crt.pem", key_path, tmp_path / "hieu-truong.chain.pem", passphrase=b"mat-khau"
    )
    signed = signer.sign(
        unsigned_pdf, field_name="ht", reason="Phê duyệt", location="Thủ Dầu Một", signer_name="Lê Văn Đức"
    )
    assert signing.verify_pdf(signed, [pki["ca"].certificate]).valid
    loaded = signing.load_certified_key(tmp_path, "hieu-truong", passphrase=b"mat-khau")
    assert loaded.certificate == pki["principal"].certificate and loaded.chain == pki["principal"].chain


def test_demo_ca_command_is_idempotent(settings, tmp_path):
    settings.SIGNING_CA_DIR = tmp_path / "ca"
    first = io.StringIO()
    call_command("demo_ca", stdout=first)
    created = (tmp_path / "ca" / "root.crt.pem").read_bytes()
    second = io.StringIO()
    call_command("demo_ca", stdout=second)
    assert "Đã tạo" in first.getvalue() and "Đã có sẵn" in second.getvalue()
    assert (tmp_path / "ca" / "root.crt.pem").read_bytes() == created
    root = x509.load_pem_x509_certificate(created)
    assert root.fingerprint(hashes.SHA256()).hex(":").upper() in second.getvalue()
    assert stat.S_IMODE((tmp_path / "ca" / "root.key.pem").stat().st_mode) == 0o600


def test_signing_and_verifying_work_where_an_event_loop_is_running(pki, unsigned_pdf):
    """pyHanko's synchronous calls start their own loop; inside a running loop (an ASGI worker, a browser test
    session) they are moved to a thread of their own instead of failing."""
    import asyncio

    def sign_and_verify():
        signed = _sign(pki["teacher"], unsigned_pdf, "gvcn")
        return signed, signing.verify_pdf(signed, [pki["ca"].certificate])

    async def inside_a_loop():
        return sign_and_verify()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        signed, result = asyncio.run(inside_a_loop())
    else:  # a browser test already left this worker inside a running loop: the case itself
        signed, result = sign_and_verify()
    assert result.valid, result.problems
    assert result.signers[0].name == pki["teacher"].common_name

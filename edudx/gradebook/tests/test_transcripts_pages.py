"""Học bạ số pages: the public verification page (with the upload check), downloads and who may reach what."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from edudx.core.api import NotPermitted
from edudx.core.permissions import Actor
from edudx.gradebook.models import Transcript, TranscriptStatus
from edudx.gradebook.services import transcripts as services
from edudx.testing import login_verified

from .test_transcripts_services import ca_dir, issue_credentials, prepare_class  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


_PDF: dict[str, bytes] = {}


def _small_pdf(transcript, data) -> bytes:
    """A one-line PDF in place of the full học bạ layout (rendered and checked in test_transcripts_services):
    these tests are about pages, and a full render costs seconds."""
    if "pdf" not in _PDF:
        from weasyprint import HTML

        _PDF["pdf"] = HTML(string="<title>Học bạ 6A1</title><p>Học bạ số lớp 6A1</p>").write_pdf()
    return _PDF["pdf"]


@pytest.fixture
def signed(world, ca_dir, monkeypatch):  # noqa: F811
    """Pupil 0 of 6A1 (Nguyễn Văn An) with a sealed học bạ; pupil 1 with a draft."""
    monkeypatch.setattr(services, "render_transcript_pdf", _small_pdf)
    sw = world.school1
    person = sw.students_a[0].person
    person.full_name = "Nguyễn Văn An"
    person.save()
    klass = prepare_class(sw)
    issue_credentials(sw)
    teacher, principal = Actor(sw.users["homeroom_teacher"]), Actor(sw.users["principal"])
    sealed = services.generate_transcript(actor=teacher, student=sw.students_a[0], school_class=klass)
    services.sign_as_homeroom(actor=teacher, transcript=sealed)
    services.sign_as_principal(actor=principal, transcript=sealed)
    services.seal(actor=principal, transcript=sealed)
    draft = services.generate_transcript(actor=teacher, student=sw.students_a[1], school_class=klass)
    sealed.refresh_from_db()
    return sw, sealed, draft


def _client(user) -> Client:
    client = Client()
    login_verified(client, user)
    return client


def test_verification_page_and_upload_check(signed):
    sw, sealed, draft = signed
    client = Client(enforce_csrf_checks=True)  # anonymous, CSRF on: the upload form must still work
    url = reverse("verify:transcript", args=[sealed.token])
    page = client.get(url)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "same-origin"
    html = page.content.decode()
    person = sealed.student.person
    assert "Hợp lệ" in html and "Nguyễn Văn An" not in html
    assert "Nguyễn V. A." in html and f"sinh năm {person.date_of_birth.year}" in html
    # No pupil code and no ID number, not even masked (its last three digits may occur by chance in the hash).
    assert sealed.student.moet_code not in html and "•" + person.personal_id_last3 not in html
    assert "Trần Thị Mai" in html and sealed.sha256 in html
    token = client.cookies["csrftoken"].value

    pdf = bytes(sealed.pdf)
    ok = client.post(url, {"file": _upload(pdf), "csrfmiddlewaretoken": token})
    assert "tệp trùng khớp" in ok.content.decode()

    tampered = bytearray(pdf)
    position = pdf.index(b"WeasyPrint")  # the producer, in the first revision: covered by every signature
    tampered[position] = ord("w")
    bad = client.post(url, {"file": _upload(bytes(tampered)), "csrfmiddlewaretoken": token}).content.decode()
    assert "Không hợp lệ" in bad and "SHA-256 không khớp" in bad and "không còn nguyên vẹn" in bad

    not_pdf = client.post(url, {"file": _upload(b"hello, not a pdf"), "csrfmiddlewaretoken": token})
    assert "không phải PDF" in not_pdf.content.decode()

    assert client.get(reverse("verify:transcript", args=["khong-co-ma-nay"])).status_code == 404
    lookup = client.get(reverse("verify:lookup"), {"code": sealed.token})
    assert lookup.status_code == 302 and lookup["Location"] == url
    assert "Không tìm thấy" in client.get(reverse("verify:lookup"), {"code": "sai-ma"}).content.decode()

    # A draft is not (yet) a valid học bạ.
    html = client.get(reverse("verify:transcript", args=[draft.token])).content.decode()
    assert "Chưa có hiệu lực" in html and "Hợp lệ</strong>" not in html


def _upload(content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("hoc-ba.pdf", content, content_type="application/pdf")


def test_guardian_downloads_own_sealed_only_and_api(signed, world, django_assert_max_num_queries):
    sw, sealed, draft = signed
    guardian = _client(sw.users["guardian"])
    pdf = guardian.get(reverse("gradebook:transcript_pdf", args=[sealed.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content == bytes(sealed.pdf)
    document = json.loads(guardian.get(reverse("gradebook:transcript_json", args=[sealed.pk])).content)
    assert document["format"] == "edudx.hocba/1" and document["student"]["moet_code"] == sealed.student.moet_code
    assert "personal_id" not in json.dumps(document) and document["transcript"]["sha256_pdf"] == sealed.sha256
    assert {s["code"] for s in document["subjects"]} == {"TOAN", "NV", "GDTC"}
    assert document["conduct"]["year_label"] == "Tốt" and document["title"]["label"] == "Học sinh Giỏi"
    home = guardian.get(reverse("gradebook:transcript_home")).content.decode()
    assert reverse("gradebook:transcript_pdf", args=[sealed.pk]) in home
    # Another family's transcript and a draft answer like missing ones.
    assert guardian.get(reverse("gradebook:transcript_pdf", args=[draft.pk])).status_code == 404
    assert guardian.get(reverse("gradebook:transcript_detail", args=[draft.pk])).status_code == 404
    other_family = _client(world.school2.users["guardian"])
    assert other_family.get(reverse("gradebook:transcript_pdf", args=[sealed.pk])).status_code == 404
    # The API gives the same rows: the guardian only the sealed one, with its links.
    rows = guardian.get("/api/v1/transcripts/").json()["results"]
    assert [r["id"] for r in rows] == [sealed.pk]
    assert rows[0]["verification_url"].startswith("https://hocba.example.vn/v/")
    assert guardian.get(rows[0]["pdf_url"]).content == bytes(sealed.pdf)
    assert guardian.get(f"/api/v1/transcripts/{draft.pk}/pdf/").status_code == 404
    principal = _client(sw.users["principal"])
    with django_assert_max_num_queries(12):
        ids = {r["id"] for r in principal.get("/api/v1/transcripts/").json()["results"]}
    assert ids == {sealed.pk, draft.pk}

    # The child's own draft (a correction not yet signed) stays hidden too.
    correction = services.correct_transcript(
        actor=Actor(sw.users["homeroom_teacher"]), transcript=sealed, reason="Sửa nhận xét của giáo viên chủ nhiệm."
    )
    assert guardian.get(reverse("gradebook:transcript_pdf", args=[correction.pk])).status_code == 404
    assert guardian.get(reverse("gradebook:transcript_pdf", args=[sealed.pk])).status_code == 200
    # The public page says the old version is still the valid one while the correction waits.
    public = Client().get(reverse("verify:transcript", args=[sealed.token])).content.decode()
    assert "Hợp lệ" in public and "đang chờ ký" in public
    # Once the correction is sealed, the old version points to it and the guardian gets the new one.
    teacher, principal = Actor(sw.users["homeroom_teacher"]), Actor(sw.users["principal"])
    services.sign_as_homeroom(actor=teacher, transcript=correction)
    services.sign_as_principal(actor=principal, transcript=correction)
    services.seal(actor=principal, transcript=correction)
    public = Client().get(reverse("verify:transcript", args=[sealed.token])).content.decode()
    assert "Đã được thay thế" in public and reverse("verify:transcript", args=[correction.token]) in public
    assert guardian.get(reverse("gradebook:transcript_pdf", args=[correction.pk])).status_code == 200


def test_staff_pages_and_sign_button(signed, world):
    sw, sealed, draft = signed
    klass_url = reverse("gradebook:class_transcripts", args=[sw.class_a.pk])
    principal = _client(sw.users["principal"])
    page = principal.get(klass_url).content.decode()
    assert "Ký phê duyệt tất cả" in page and "Ký số nhà trường tất cả" in page
    assert principal.get(reverse("gradebook:transcript_detail", args=[sealed.pk])).status_code == 200
    home = principal.get(reverse("gradebook:transcript_home")).content.decode()
    assert klass_url in home
    for user in (sw.users["guardian"], sw.users["subject_teacher"], world.school2.users["principal"]):
        assert _client(user).get(klass_url).status_code == 404
        assert _client(user).get(reverse("gradebook:transcript_detail", args=[draft.pk])).status_code == 404

    sign_url = reverse("gradebook:transcript_sign", args=[draft.pk])
    # The principal sees the draft but may not sign it as homeroom teacher: 403, nothing changes.
    assert principal.post(sign_url, {"role": "homeroom"}).status_code == 403
    draft.refresh_from_db()
    assert draft.status == TranscriptStatus.DRAFT
    teacher = _client(sw.users["homeroom_teacher"])
    detail = teacher.get(reverse("gradebook:transcript_detail", args=[draft.pk])).content.decode()
    assert "Ký (GVCN)" in detail
    response = teacher.post(sign_url, {"role": "homeroom"})
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == TranscriptStatus.TEACHER_SIGNED
    # Out of order from the page: sealing before the principal signs is refused with the rule's message.
    followed = principal.post(sign_url, {"role": "seal"}, follow=True).content.decode()
    assert "Hiệu trưởng chưa ký" in followed
    assert Transcript.objects.get(pk=draft.pk).status == TranscriptStatus.TEACHER_SIGNED


def test_class_batches(signed, django_capture_on_commit_callbacks):
    sw, sealed, draft = signed
    klass_url = reverse("gradebook:class_transcripts", args=[sw.class_a.pk])
    teacher = _client(sw.users["homeroom_teacher"])
    teacher.post(klass_url, {"action": "generate_all"})
    latest = {t.student_id: t for t in Transcript.objects.filter(school_class=sw.class_a).order_by("version")}
    assert [latest[s.pk].status for s in sw.students_a] == ["sealed", "draft", "draft"]
    page = teacher.post(klass_url, {"action": "sign_homeroom_all"}, follow=True).content.decode()
    assert "Đã xử lý 2 học bạ" in page
    assert Transcript.objects.filter(school_class=sw.class_a, status=TranscriptStatus.TEACHER_SIGNED).count() == 2
    # A guardian may not run a batch (the class is not visible to them).
    assert _client(sw.users["guardian"]).post(klass_url, {"action": "seal_all"}).status_code == 404
    # In the background: the task runs after the commit and signs each ready transcript once.
    with django_capture_on_commit_callbacks(execute=True):
        outcome = services.sign_class_batch(
            actor=Actor(sw.users["principal"]), school_class=sw.class_a, role="principal", background=True
        )
    assert outcome.queued
    assert Transcript.objects.filter(school_class=sw.class_a, status=TranscriptStatus.PRINCIPAL_SIGNED).count() == 2
    with pytest.raises(NotPermitted):
        services.sign_class_batch(actor=Actor(sw.users["homeroom_teacher"]), school_class=sw.class_a, role="seal")

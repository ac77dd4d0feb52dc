"""Upload checks: the type by content, not by name; size; empty files; PDFs with active content."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PdfFileWriter

from edudx.core.api import ValidationFailed
from edudx.procedures import uploads


def image(kind: str, size=(16, 16)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, kind)
    return buffer.getvalue()


def pdf(*, catalog_extra: dict | None = None, compressed: bool = False) -> bytes:
    """A one-page PDF; ``catalog_extra`` values are dictionaries added as objects (in an object stream if
    ``compressed``, so the names are not visible in the file's bytes)."""
    writer = PdfFileWriter()
    writer.insert_page(generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Page"),
        generic.NameObject("/MediaBox"): generic.ArrayObject([generic.NumberObject(n) for n in (0, 0, 595, 842)]),
    }))  # fmt: skip
    stream = writer.prepare_object_stream() if compressed else None
    for key, value in (catalog_extra or {}).items():
        ref = writer.add_object(generic.DictionaryObject(value), obj_stream=stream)
        writer.root[generic.NameObject(key)] = ref
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def js_action() -> dict:
    return {
        generic.NameObject("/S"): generic.NameObject("/JavaScript"),
        generic.NameObject("/JS"): generic.pdf_string("app.alert('x')"),
    }


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("don.pdf", pdf(), "application/pdf"), ("anh.PNG", image("PNG"), "image/png"),
     ("anh.jpg", image("JPEG"), "image/jpeg"), ("anh.jpeg", image("JPEG"), "image/jpeg")],
)  # fmt: skip
def test_valid_files_pass_with_their_hash(name, content, content_type):
    checked = uploads.check_upload(SimpleUploadedFile(name, content, content_type="application/octet-stream"))
    assert (checked.content_type, checked.size, checked.content) == (content_type, len(content), content)
    import hashlib

    assert checked.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("giay-khai-sinh.pdf", b"MZ\x90\x00\x03" + b"\x00" * 100, "file_type_mismatch"),  # an executable
        ("giay-khai-sinh.pdf", image("PNG"), "file_type_mismatch"),  # an image behind .pdf
        ("anh.png", image("JPEG"), "file_type_mismatch"),
        ("anh.jpg", pdf(), "file_type_mismatch"),
        ("bao-cao.docx", pdf(), "file_type_not_allowed"),  # a PDF behind a refused extension
        ("khong-duoi", pdf(), "file_type_not_allowed"),
        ("rong.pdf", b"", "file_empty"),
        ("hong.png", image("PNG")[:-30], "file_broken"),  # truncated
        ("hong.jpg", image("JPEG", (64, 64))[:200], "file_broken"),
        ("hong.pdf", b"%PDF-1.7\n garbage", "file_broken"),
    ],
)
def test_refused_files(name, content, code):
    with pytest.raises(ValidationFailed) as caught:
        uploads.check_upload(SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert caught.value.code == code
    assert name in caught.value.message  # the message names the file


@pytest.mark.parametrize(
    "extra",
    [
        {"/OpenAction": js_action()},
        {"/Names": {generic.NameObject("/JavaScript"): generic.DictionaryObject()}},
        {"/OpenAction": {generic.NameObject("/S"): generic.NameObject("/Launch"),
                         generic.NameObject("/F"): generic.pdf_string("cmd.exe")}},
        {"/Names": {generic.NameObject("/EmbeddedFiles"): generic.DictionaryObject()}},
        {"/OpenAction": {generic.NameObject("/S"): generic.NameObject("/URI"),
                         generic.NameObject("/URI"): generic.pdf_string("https://example.com")}},
    ],
)  # fmt: skip
@pytest.mark.parametrize("compressed", [False, True])
def test_pdf_with_active_content_is_refused(extra, compressed):
    content = pdf(catalog_extra=extra, compressed=compressed)
    with pytest.raises(ValidationFailed) as caught:
        uploads.check_content("don.pdf", content)
    assert caught.value.code == "pdf_active_content"


def test_hex_escaped_names_are_still_found():
    content = pdf(catalog_extra={"/OpenAction": js_action()}).replace(b"/JavaScript", b"/J#61vaScript")
    with pytest.raises(ValidationFailed):
        uploads.check_content("don.pdf", content)


def test_open_action_that_only_goes_to_a_page_is_accepted():
    writer = PdfFileWriter()
    page = writer.insert_page(generic.DictionaryObject({generic.NameObject("/Type"): generic.NameObject("/Page")}))
    writer.root[generic.NameObject("/OpenAction")] = generic.ArrayObject([page, generic.NameObject("/Fit")])
    out = io.BytesIO()
    writer.write(out)
    assert uploads.check_content("don.pdf", out.getvalue()).content_type == "application/pdf"


@override_settings(PROCEDURE_UPLOAD_MAX_BYTES=1000)
def test_oversized_file_is_refused_without_reading_it_all():
    big = SimpleUploadedFile("to.png", image("PNG", (400, 400)) + b"\x00" * 2000)
    with pytest.raises(ValidationFailed) as caught:
        uploads.check_upload(big)
    assert caught.value.code == "file_too_large" and "to.png" in caught.value.message


def test_several_files_report_every_problem():
    with pytest.raises(ValidationFailed) as caught:
        uploads.check_uploads([SimpleUploadedFile("a.pdf", b""), SimpleUploadedFile("b.png", b"xx")])
    assert len(caught.value.details["file"]) == 2


def test_browser_path_is_cut_from_the_name():
    checked = uploads.check_upload(SimpleUploadedFile("C:\\fakepath\\anh.png", image("PNG")))
    assert checked.filename == "anh.png"

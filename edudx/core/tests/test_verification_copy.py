"""The public pages' copy check: a PDF by content, at most 10 MB, with a message naming the document."""

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile

from edudx.core.verification import MAX_COPY_BYTES, checked_pdf_copy


def test_a_pdf_is_accepted_and_left_ready_to_read():
    upload = SimpleUploadedFile("copy.pdf", b"%PDF-1.7 rest", content_type="application/pdf")
    assert checked_pdf_copy(upload, what="kết quả").read() == b"%PDF-1.7 rest"


def test_a_pdf_name_on_other_content_is_refused():
    upload = SimpleUploadedFile("copy.pdf", b"PK\x03\x04 a zip", content_type="application/pdf")
    with pytest.raises(forms.ValidationError, match="không phải PDF"):
        checked_pdf_copy(upload, what="kết quả")


def test_an_oversized_file_is_refused_naming_the_document():
    upload = SimpleUploadedFile("copy.pdf", b"%PDF-" + b"0" * MAX_COPY_BYTES, content_type="application/pdf")
    with pytest.raises(forms.ValidationError, match="không phải tệp học bạ"):
        checked_pdf_copy(upload, what="học bạ")

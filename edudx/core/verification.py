"""What the public verification pages of signed documents share (học bạ số, results of administrative procedures).

A page reached from the QR code of a signed document shows the stored file's signature check and lets anyone upload
the copy they received to compare it with the stored one. Both checks are here so that every kind of document
answers the same way:

- ``verify_stored_pdf`` checks the stored file and caches the report per (file, trust roots) for an hour: a QR code
  scanned by many people costs one validation (≈ 0.1 s a signature), and an expired certificate is still noticed
  within the hour;
- ``compare_copy`` checks an uploaded copy: the same bytes as the stored file (SHA-256) *and* valid signatures;
- ``mask_name`` shows enough of a person's name to match a paper copy and no more.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import hashes
from django import forms
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import credentials
from .signing import VerificationResult, verify_pdf

__all__ = ["CACHE_SECONDS", "CopyCheck", "compare_copy", "mask_name", "verify_stored_pdf"]

CACHE_SECONDS = 3600


def mask_name(full_name: str) -> str:
    """ "Nguyễn Văn An" → "Nguyễn V. A.": the family name and initials, enough to match a paper copy."""
    parts = full_name.split()
    if len(parts) <= 1:
        return f"{parts[0][0]}." if parts else ""
    return " ".join([parts[0], *[f"{p[0]}." for p in parts[1:]]])


def _roots_fingerprint() -> str:
    roots = credentials.trust_roots()
    return hashlib.sha256(b"".join(root.fingerprint(hashes.SHA256()) for root in roots)).hexdigest()[:16]


def verify_stored_pdf(pdf: bytes, sha256: str, *, namespace: str) -> VerificationResult:
    """The signature check of a stored file, cached for an hour per (``namespace``, file hash, trust roots)."""
    key = f"edudx:{namespace}-verify:{sha256}:{_roots_fingerprint()}"
    report = cache.get(key)
    if report is None:
        report = verify_pdf(pdf, credentials.trust_roots())
        cache.set(key, report, CACHE_SECONDS)
    return report


@dataclass(frozen=True)
class CopyCheck:
    """An uploaded copy compared with the stored file: ``same`` bytes and a ``report`` of its own signatures."""

    sha256: str
    same: bool
    report: VerificationResult
    reasons: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.same and self.report.valid


def compare_copy(data: bytes, stored_sha256: str) -> CopyCheck:
    """Compare an uploaded copy with the stored file (SHA-256 of the bytes) and verify its signatures.

    One changed byte changes the hash, so the copy is "not valid" even when a viewer would show the same page.
    """
    digest = hashlib.sha256(data).hexdigest()
    report = verify_pdf(data, credentials.trust_roots())
    same = digest == stored_sha256
    reasons: list[str] = []
    if not same:
        reasons.append(_("Tệp khác với bản đã lưu: mã băm SHA-256 không khớp (tệp đã bị sửa hoặc là tệp khác)."))
    reasons.extend(report.problems)
    return CopyCheck(sha256=digest, same=same, report=report, reasons=reasons)


MAX_COPY_BYTES = 10 * 1024 * 1024


def checked_pdf_copy(upload: Any, *, what: str) -> Any:
    """The uploaded copy of a signed document if it is a PDF (by content) of at most 10 MB; a form error naming
    ``what`` (the kind of document) otherwise. For the public pages' "check a copy" forms."""
    if upload.size > MAX_COPY_BYTES:
        raise forms.ValidationError(_("Tệp lớn hơn 10 MB: không phải tệp %(what)s.") % {"what": what})
    head = upload.read(5)
    upload.seek(0)
    if head != b"%PDF-":
        raise forms.ValidationError(_("Tệp không phải PDF (nội dung không bắt đầu bằng %PDF)."))
    return upload


def render_check_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """A public verification page, never cached. Its token must not leak to other sites, but the page's own upload
    form needs its Origin header: with "no-referrer" Chromium sends "Origin: null" and the CSRF check refuses the
    upload, hence "same-origin"."""
    response = render(request, template, context)
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response

"""Checks every file uploaded to a dossier passes: attachments, supplements and counter scans.

A file is accepted only when its *content* is a PDF, a JPEG or a PNG and its name says the same type (a
"giay-khai-sinh.pdf" that is really an executable, or an image renamed ".pdf", is refused). The browser's
content type is never trusted. Images must decode completely with Pillow; a PDF must parse and must not carry
anything that runs or hides content when opened — JavaScript, automatic actions (``/OpenAction`` other than
"go to a page", ``/AA``), ``/Launch``, embedded files, rich media or XFA forms — because staff open these files
on their own machines. Encrypted PDFs are refused: their content cannot be checked.

``check_upload`` returns a ``CheckedFile`` (name, type, size, SHA-256, bytes) or raises ``ValidationFailed`` whose
message names the file and the problem in Vietnamese. The size limit is ``PROCEDURE_UPLOAD_MAX_BYTES`` in settings
(10 MB by default).
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from edudx.core.errors import ValidationFailed

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# Above this many pixels an image is refused before it is decoded (a "decompression bomb" can be a few kilobytes
# on disk and gigabytes in memory); 60 megapixels covers any scan or phone photo.
MAX_IMAGE_PIXELS = 60_000_000
# A walk over a PDF's objects stops here: a legitimate scan of a few pages has hundreds of objects.
MAX_PDF_OBJECTS = 50_000

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
EXTENSIONS = {PDF: (".pdf",), JPEG: (".jpg", ".jpeg"), PNG: (".png",)}
_SIGNATURES = ((b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG))
_TYPE_LABEL = {PDF: "PDF", JPEG: "JPEG", PNG: "PNG"}

# Names whose presence anywhere in a PDF means active or hidden content.
FORBIDDEN_PDF_NAMES = frozenset(
    {"/JavaScript", "/JS", "/Launch", "/EmbeddedFile", "/EmbeddedFiles", "/RichMedia", "/XFA", "/AA"}
)
_NAME_TOKEN = re.compile(rb"/[^\s/<>\[\]()%{}]+")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


@dataclass(frozen=True)
class CheckedFile:
    """A file that passed every check, ready to store."""

    filename: str
    content_type: str
    size: int
    sha256: str
    content: bytes


def max_upload_bytes() -> int:
    return int(getattr(settings, "PROCEDURE_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def _refuse(filename: str, problem: str, code: str) -> ValidationFailed:
    message = _("Tệp «%(name)s»: %(problem)s") % {"name": filename, "problem": problem}
    return ValidationFailed(message, code=code, details={"file": [message]})


def _clean_name(name: str) -> str:
    # Browsers may send a path ("C:\\fakepath\\x.pdf"); keep the last part, without control characters.
    base = re.split(r"[\\/]", name or "")[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:255] or "tep-dinh-kem"


def _read(upload: Any, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of an uploaded file: enough to know it is too big without reading it all."""
    if hasattr(upload, "seek"):
        upload.seek(0)
    data: bytes = upload.read(limit + 1)
    return data


def sniff(content: bytes) -> str | None:
    """The type the first bytes announce (PDF, PNG, JPEG), or None."""
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    return None


def check_upload(upload: Any, *, filename: str | None = None) -> CheckedFile:
    """Check an uploaded file (a Django ``UploadedFile`` or any object with ``read`` and ``name``)."""
    name = _clean_name(filename if filename is not None else getattr(upload, "name", ""))
    limit = max_upload_bytes()
    declared = getattr(upload, "size", None)
    if isinstance(declared, int) and declared > limit:
        raise _too_big(name, limit)
    return check_content(name, _read(upload, limit))


def _too_big(name: str, limit: int) -> ValidationFailed:
    return _refuse(
        name,
        _("dung lượng vượt quá %(max)s MB cho phép.") % {"max": _megabytes(limit)},
        "file_too_large",
    )


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}".replace(".", ",")


def check_content(filename: str, content: bytes) -> CheckedFile:
    """Check ``content`` received under ``filename``; the bytes are returned unchanged in the result."""
    name = _clean_name(filename)
    limit = max_upload_bytes()
    if not content:
        raise _refuse(name, _("tệp rỗng (0 byte)."), "file_empty")
    if len(content) > limit:
        raise _too_big(name, limit)
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    allowed = {ext for extensions in EXTENSIONS.values() for ext in extensions}
    if extension not in allowed:
        raise _refuse(
            name, _("chỉ nhận tệp PDF, JPEG hoặc PNG (đuôi .pdf, .jpg, .jpeg, .png)."), "file_type_not_allowed"
        )
    content_type = sniff(content)
    if content_type is None:
        raise _refuse(
            name, _("nội dung tệp không phải PDF, JPEG hay PNG dù tên tệp có đuôi %(ext)s.") % {"ext": extension},
            "file_type_mismatch",
        )  # fmt: skip
    if extension not in EXTENSIONS[content_type]:
        raise _refuse(
            name,
            _("nội dung tệp là %(real)s nhưng tên tệp có đuôi %(ext)s; vui lòng đặt đúng đuôi tệp.")
            % {"real": _TYPE_LABEL[content_type], "ext": extension},
            "file_type_mismatch",
        )
    if content_type == PDF:
        _check_pdf(name, content)
    else:
        _check_image(name, content, content_type)
    return CheckedFile(
        filename=name,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


def check_uploads(uploads: Iterable[Any]) -> list[CheckedFile]:
    """Check several files; every problem is reported at once (``details["file"]`` lists one message each)."""
    checked: list[CheckedFile] = []
    problems: list[str] = []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationFailed as exc:
            problems.append(exc.message)
    if problems:
        raise ValidationFailed(" ".join(problems), code="bad_files", details={"file": problems})
    return checked


# ---------------------------------------------------------------------------------------------------------------
# Images


def _check_image(name: str, content: bytes, content_type: str) -> None:
    from PIL import Image

    expected = "PNG" if content_type == PNG else "JPEG"
    broken = _refuse(name, _("ảnh bị hỏng hoặc không đọc được."), "file_broken")
    try:
        with warnings.catch_warnings():
            # Pillow warns (then raises) on huge images; treat the warning as a refusal too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != expected:
                    raise broken
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise _refuse(name, _("ảnh có kích thước điểm ảnh quá lớn."), "image_too_large")
                image.verify()  # structure and checksums (PNG chunks)
            with Image.open(io.BytesIO(content)) as image:
                image.load()  # decode every pixel: a truncated JPEG fails here
    except ValidationFailed:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(name, _("ảnh có kích thước điểm ảnh quá lớn."), "image_too_large") from None
    except Exception:  # Pillow raises many kinds (OSError, SyntaxError, ValueError…) for a bad file
        raise broken from None


# ---------------------------------------------------------------------------------------------------------------
# PDF


def _decoded_name(token: bytes) -> str:
    return _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), token).decode("latin-1")


def _raw_names(content: bytes) -> set[str]:
    """Every name token written in clear in the file (with ``#xx`` escapes decoded), reachable or not."""
    return {_decoded_name(token) for token in _NAME_TOKEN.findall(content)}


def _check_pdf(name: str, content: bytes) -> None:
    in_clear = FORBIDDEN_PDF_NAMES & _raw_names(content)
    if in_clear:
        raise _active_content(name, in_clear)
    from pyhanko.pdf_utils.reader import PdfFileReader

    broken = _refuse(name, _("tệp PDF bị hỏng hoặc không đọc được."), "file_broken")
    try:
        reader = PdfFileReader(io.BytesIO(content), strict=False)
    except Exception:
        raise broken from None
    if reader.encrypted:
        raise _refuse(
            name, _("tệp PDF có mật khẩu hoặc được mã hóa; vui lòng gửi bản không đặt mật khẩu."), "pdf_encrypted"
        )
    try:
        found = _walk_pdf(reader)
    except ValidationFailed:
        raise
    except Exception:
        raise broken from None
    if found:
        raise _active_content(name, found)


def _active_content(name: str, found: AbstractSet[str]) -> ValidationFailed:
    return _refuse(
        name,
        _("tệp PDF chứa mã lệnh, thao tác tự động hoặc tệp nhúng (%(what)s) nên không được nhận.")
        % {"what": ", ".join(sorted(n.lstrip("/") for n in found))},
        "pdf_active_content",
    )


def _walk_pdf(reader: Any) -> set[str]:
    """Names of active content found in the objects of the file, compressed object streams included."""
    from pyhanko.pdf_utils import generic

    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer_view, reader.root]
    for revision in range(reader.xrefs.total_revisions):
        for ref in reader.xrefs.explicit_refs_in_revision(revision):
            stack.append(generic.IndirectObject(ref.idnum, ref.generation, reader))
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, generic.IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in seen:
                continue
            seen.add(key)
            visited += 1
            if visited > MAX_PDF_OBJECTS:
                raise ValueError("too many objects")
            obj = obj.get_object()
        if isinstance(obj, generic.DictionaryObject):  # streams are dictionaries too
            for raw_key, value in obj.items():
                key_name = str(raw_key)
                if key_name in FORBIDDEN_PDF_NAMES:
                    found.add(key_name)
                elif key_name == "/OpenAction" and _is_action(value, generic):
                    found.add(key_name)
                stack.append(value)
        elif isinstance(obj, generic.ArrayObject):
            stack.extend(obj)
        elif isinstance(obj, generic.NameObject) and str(obj) in FORBIDDEN_PDF_NAMES:
            found.add(str(obj))  # e.g. the value of /S in an action dictionary
    return found


def _is_action(value: Any, generic: Any) -> bool:
    """An ``/OpenAction`` that is an action other than "go to a page" (a bare destination array is harmless)."""
    target = value.get_object() if isinstance(value, generic.IndirectObject) else value
    if isinstance(target, generic.ArrayObject):
        return False
    if isinstance(target, generic.DictionaryObject):
        kind = target.get("/S")
        return str(kind.get_object() if isinstance(kind, generic.IndirectObject) else kind) != "/GoTo"
    return True

"""Opening an uploaded Excel workbook safely: by content, whatever the file is called."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.conf import settings

from .errors import ValidationFailed

__all__ = ["open_workbook"]


def open_workbook(data: bytes) -> Any:
    """The openpyxl workbook (read-only, values) of an uploaded .xlsx, or ``ValidationFailed`` in Vietnamese.

    An XLSX is a zip container with a content-types part and a workbook part; anything else — a renamed CSV, a
    PDF, an empty file, a zip bomb that unpacks to far more than the upload limit — is refused before openpyxl
    parses it.
    """
    from openpyxl import load_workbook

    not_excel = ValidationFailed(
        "Tệp không phải bảng tính Excel (.xlsx) hợp lệ. Hãy tải tệp mẫu, nhập dữ liệu và lưu dạng .xlsx.",
        code="NOT_XLSX",
    )
    if not data:
        raise ValidationFailed("Tệp rỗng, không có dữ liệu.", code="EMPTY_FILE")
    buffer = io.BytesIO(data)
    if not zipfile.is_zipfile(buffer):
        raise not_excel
    try:
        with zipfile.ZipFile(buffer) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise not_excel
        # A few kilobytes that unpack to gigabytes are a zip bomb, not a class list.
        if unpacked > 50 * max(settings.IMPORT_MAX_BYTES, len(data)):
            raise not_excel
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except ValidationFailed:
        raise
    except Exception as exc:  # openpyxl raises many kinds for a broken file; all mean the same here
        raise not_excel from exc

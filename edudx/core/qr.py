"""QR codes for verification links printed on issued documents (học bạ, procedure results, receipts).

Error correction level M survives a fold or a smudge on paper; the quiet zone of 4 modules is the
standard's minimum for phone cameras. The SVG form is embedded inline in PDF templates (sharp at any
scale); the PNG form is for screens and downloads.
"""

from __future__ import annotations

import io

import segno

__all__ = ["qr_png", "qr_svg"]


def _make(url: str) -> segno.QRCode:
    if not url:
        raise ValueError("Không thể tạo mã QR cho một liên kết trống.")
    return segno.make(url, error="m", micro=False)


def qr_svg(url: str, *, scale: int = 4) -> str:
    """Return an inline ``<svg>`` element (no XML declaration) encoding ``url``."""
    buffer = io.BytesIO()
    _make(url).save(buffer, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True, nl=False)
    return buffer.getvalue().decode("utf-8")


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """Return a PNG image encoding ``url``."""
    buffer = io.BytesIO()
    _make(url).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()

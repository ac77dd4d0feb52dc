"""PDF rendering (A4, Vietnamese glyphs in Liberation Serif, local resources only) and QR codes."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from edudx.core.pdf import LocalOnlyURLFetcher, render_pdf
from edudx.core.qr import qr_png, qr_svg

VIETNAMESE = "Nguyễn Thị Ánh Tuyết ắằẳẵặ ếềểễệ ốồổỗộ ớờởỡợ ứừửữự ỳỷỹỵ Đường"

CONTEXT = {
    "issuer_parent": "UBND phường Thủ Dầu Một",
    "issuer": "Trường Tiểu học Phú Cường",
    "document_number": "12/GXN-THPC",
    "place": "Thủ Dầu Một",
    "issued_on": dt.date(2026, 3, 5),
    "student_name": VIETNAMESE,
    "birth_date": dt.date(2016, 9, 2),
    "class_name": "4A1",
    "school_year": "2025-2026",
    "verification_url": "https://xac-thuc.example/tai-lieu/ABC123",
}


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return render_pdf("core/pdf/sample.html", {**CONTEXT, "verification_qr": qr_svg(CONTEXT["verification_url"])})


def _unicode_map(cmap: bytes) -> set[str]:
    """Characters a ToUnicode CMap maps glyphs to (bfchar and bfrange entries)."""
    text = cmap.decode("latin-1")
    chars: set[str] = set()
    for block in re.findall(r"beginbfchar(.*?)endbfchar", text, re.S):
        for _glyph, target in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            chars.update(bytes.fromhex(target).decode("utf-16-be"))
    for block in re.findall(r"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, start in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            first = ord(bytes.fromhex(start).decode("utf-16-be")[0])
            chars.update(chr(first + offset) for offset in range(int(high, 16) - int(low, 16) + 1))
    return chars


def _fonts(pdf: bytes) -> dict[str, set[str]]:
    reader = PdfFileReader(io.BytesIO(pdf))
    fonts: dict[str, set[str]] = {}
    for page_ref in reader.root["/Pages"]["/Kids"]:
        page = page_ref.get_object()
        for font_ref in page["/Resources"]["/Font"].values():
            font = font_ref.get_object()
            cmap = font["/ToUnicode"].get_object().data
            fonts[str(font["/BaseFont"])] = _unicode_map(cmap)
    return fonts


def test_render_gives_one_a4_page(sample_pdf):
    assert sample_pdf.startswith(b"%PDF-")
    reader = PdfFileReader(io.BytesIO(sample_pdf))
    kids = reader.root["/Pages"]["/Kids"]
    assert len(kids) == 1
    box = kids[0].get_object()["/MediaBox"]
    width, height = float(box[2]) - float(box[0]), float(box[3]) - float(box[1])
    assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)


def test_vietnamese_letters_are_drawn_with_liberation_serif(sample_pdf):
    fonts = _fonts(sample_pdf)
    # Every face is Liberation Serif: no glyph fell back to another font for lack of a Vietnamese letter.
    assert fonts
    assert all("Liberation-Serif" in name for name in fonts), fonts.keys()
    drawn = set().union(*fonts.values())
    wanted = {char for char in VIETNAMESE + "Thủ Dầu Một" + "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" if not char.isspace()}
    assert wanted - drawn == set()


def test_fetcher_serves_static_files_only():
    fetcher = LocalOnlyURLFetcher()
    response = fetcher.fetch("file:///static/edudx/edudx.css")
    assert response.content_type == "text/css"
    assert response.read()
    for url in (
        "file:///etc/passwd",
        "file:///static/../config/settings/base.py",
        "file:///static/missing.png",
        "https://assets.example.org/bootstrap.css",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,xin%20chao").read() == b"xin chao"


def test_qr_svg_and_png():
    svg = qr_svg("https://xac-thuc.example/tai-lieu/ABC123")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert "<?xml" not in svg
    longer = qr_svg("https://xac-thuc.example/tai-lieu/" + "X" * 200)
    assert len(longer) > len(svg)  # more data, more modules
    assert qr_png("https://xac-thuc.example/tai-lieu/ABC123").startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(ValueError):
        qr_svg("")


def test_qr_is_drawn_in_the_pdf():
    without = render_pdf("core/pdf/sample.html", CONTEXT)
    with_qr = render_pdf("core/pdf/sample.html", {**CONTEXT, "verification_qr": qr_svg(CONTEXT["verification_url"])})
    assert len(with_qr) > len(without)
    assert b"ABC123" not in without  # the URL text is only printed next to the code

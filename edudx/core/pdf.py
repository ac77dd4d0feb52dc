"""PDF rendering: a Django template rendered to an A4 PDF with WeasyPrint.

Every document the platform issues (học bạ, procedure results, receipts, outgoing documents) is HTML
rendered here, then optionally signed by :mod:`edudx.core.signing`. The rules that matter:

- The page is A4 portrait with the margins of Nghị định 30/2020 Phụ lục I (top/bottom 20 mm, left 30 mm,
  right 15 mm); templates may override them with their own ``@page`` rule.
- The text font is Liberation Serif (Times New Roman metrics, full Vietnamese coverage, Debian package
  ``fonts-liberation2``). The older ``fonts-liberation`` lacks most Vietnamese letters and falls back to
  another face glyph by glyph, which is why the font stack names Liberation Serif first and only then
  Times New Roman.
- Resources are local only. The fetcher serves ``/static/...`` through the staticfiles finders (so it
  works before ``collectstatic``) and ``data:`` URIs, and refuses everything else: a template that
  names a remote or arbitrary local file gets nothing, so rendering never reaches the network and
  user-supplied text can never pull in a file of the server.
"""

from __future__ import annotations

import mimetypes
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

__all__ = ["BASE_CSS", "FONT_STACK", "LocalOnlyURLFetcher", "render_pdf"]

# WeasyPrint reports every layout step at INFO; keep that out of the server log unless LOGGING asks for it.

FONT_STACK = '"Liberation Serif", "Times New Roman", serif'
BASE_URL = "file:///"

BASE_CSS = f"""
@page {{
    size: A4 portrait;
    margin: 20mm 15mm 20mm 30mm;
}}
html {{
    font-family: {FONT_STACK};
    font-size: 13pt;
    line-height: 1.3;
    color: #000;
}}
"""


class LocalOnlyURLFetcher(URLFetcher):
    """Serves static files and ``data:`` URIs; refuses any other URL."""

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        if url.startswith("data:"):
            return super().fetch(url, headers)
        parts = urlsplit(url)
        static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
        if parts.scheme == "file" and not parts.netloc and parts.path.startswith(static_prefix):
            relative = unquote(parts.path.removeprefix(static_prefix))
            found = finders.find(relative) if ".." not in relative.split("/") else None
            if isinstance(found, str):
                with open(found, "rb") as handle:
                    body = handle.read()
                content_type = mimetypes.guess_type(found)[0] or "application/octet-stream"
                return URLFetcherResponse(url, body, {"Content-Type": content_type})
        raise ValueError(f"Tài nguyên không được phép trong PDF: {url}")


def render_pdf(template_name: str, context: dict[str, Any] | None = None) -> bytes:
    """Render ``template_name`` with ``context`` and return the bytes of an A4 PDF."""
    html = render_to_string(template_name, context or {})
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=LocalOnlyURLFetcher())
    result = document.write_pdf(stylesheets=[CSS(string=BASE_CSS)])
    assert result is not None  # write_pdf returns bytes when no target is given
    return bytes(result)

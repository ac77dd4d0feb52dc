"""Vietnamese first: the interface is Vietnamese unless the user picks English in the footer.

Browsers in Vietnam are often set to English; following their Accept-Language header would mix
Django's English messages into Vietnamese pages. The explicit choice (the language cookie set by
the footer's selector) is still honoured by LocaleMiddleware, which runs after this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpResponse


class VietnameseFirstMiddleware:
    def __init__(self, get_response: Callable[[Any], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: Any) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)

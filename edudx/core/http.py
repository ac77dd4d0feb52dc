"""Turn domain errors into HTTP answers the same way for every API endpoint."""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from .errors import Conflict, DomainError, NotPermitted


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        code = status.HTTP_403_FORBIDDEN if isinstance(exc, NotPermitted) else status.HTTP_400_BAD_REQUEST
        if isinstance(exc, Conflict) or exc.code == "conflict":
            code = status.HTTP_409_CONFLICT
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        if exc.details is not None:
            body["errors"] = exc.details
        return Response(body, status=code)
    return exception_handler(exc, context)

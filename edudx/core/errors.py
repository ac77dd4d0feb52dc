"""Errors that services raise and every interface (page, API, command, task) turns into a message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the request. ``message`` is shown to the user in Vietnamese."""

    code = "domain_error"

    def __init__(self, message: str, *, code: str | None = None, details: object = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details


class ValidationFailed(DomainError):
    code = "invalid"


class NotPermitted(DomainError):
    code = "forbidden"

    def __init__(self, message: str = "Bạn không có quyền thực hiện thao tác này.", **kwargs: object):
        super().__init__(message, **kwargs)  # type: ignore[arg-type]


class Conflict(DomainError):
    code = "conflict"

"""Pieces the people pages share: breadcrumbs, filter values, and the steps every page that changes
a row repeats.

A page that changes a row finds it among the rows the actor may see (else 404, so ids cannot be
probed), checks the actor may change it (else 403), runs a service and, when the service refuses,
shows its message on the form. Removals ask for confirmation first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse

from edudx.core.api import Actor, DomainError, OrgUnit

__all__ = [
    "Hints",
    "apply_error",
    "breadcrumbs",
    "confirm_removal",
    "get_for_change",
    "home_unit",
    "no_store",
    "pick",
    "require_anywhere",
    "service_errors_on",
]

M = TypeVar("M", bound=Model)

# Which field a service message is about, by a word it contains: (text, field name) pairs.
Hints = tuple[tuple[str, str], ...]


# ---------------------------------------------------------------------------------------------
# Page furniture
# ---------------------------------------------------------------------------------------------


def _unit_url(unit: OrgUnit) -> str | None:
    try:
        return reverse("core:unit_detail", args=[unit.pk])
    except NoReverseMatch:
        return None


def breadcrumbs(actor: Actor, unit: OrgUnit | None, *pages: tuple[str, str | None]) -> list[tuple[str, str | None]]:
    """The organisation path (the unit's ancestors, itself included), then the page trail.

    Units link to their page only for actors who may open it (``org.view``); others see plain names.
    """
    crumbs: list[tuple[str, str | None]] = []
    if unit is not None:
        linked = bool(actor.grants_for("org.view"))
        crumbs = [(u.name, _unit_url(u) if linked else None) for u in unit.ancestors()]
    return crumbs + list(pages)


def home_unit(actor: Actor, chosen: OrgUnit | None = None) -> OrgUnit | None:
    """The unit a list page is about: the chosen school, else the actor's first assigned unit."""
    if chosen is not None:
        return chosen
    if not actor.grants:
        return None
    return OrgUnit.objects.filter(pk=actor.grants[0].unit_id).first()


def pick(queryset: Any, value: str | None) -> Any:
    """The row of ``queryset`` (already filtered by policy) whose id is ``value``, or None."""
    number = _int(value)
    return queryset.filter(pk=number).first() if number is not None else None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except (TypeError, ValueError):
        return None


def no_store(response: HttpResponse) -> HttpResponseBase:
    """Keep a page with a sensitive value out of every cache (the browser's back button included)."""
    response["Cache-Control"] = "no-store, private"
    response["Pragma"] = "no-cache"
    return response


# ---------------------------------------------------------------------------------------------
# Pages that change rows
# ---------------------------------------------------------------------------------------------


def get_for_change(visible: QuerySet[M], pk: int, may_change: Callable[[M], bool]) -> M:
    """Row ``pk`` among the ``visible`` rows (else 404), if ``may_change(row)`` (else 403).

    Visibility is checked first so that a row the actor may not see answers exactly like a missing one.
    """
    row = get_object_or_404(visible, pk=pk)
    if not may_change(row):
        raise PermissionDenied
    return row


def require_anywhere(actor: Actor, *capabilities: str) -> None:
    """403 unless the actor holds every capability on some unit: the gate of pages that create rows."""
    if not all(actor.subtree_paths(capability) for capability in capabilities):
        raise PermissionDenied


def apply_error(form: forms.Form, exc: DomainError, hints: Hints = ()) -> None:
    """Show a service's message on the field it is about, else above the form.

    A service names the field in ``details`` (``{"personal_id": [...]}``) where it can; otherwise a
    word of the message points to the field (``hints``: text → field name); anything else is general.
    """
    details = exc.details
    if isinstance(details, dict):
        named = [name for name in details if name in form.fields]
        if named:
            for name in named:
                form.add_error(name, exc.message)
            return
    lowered = exc.message.lower()
    for needle, name in hints:
        if needle.lower() in lowered and name in form.fields:
            form.add_error(name, exc.message)
            return
    form.add_error(None, exc.message)


@contextmanager
def service_errors_on(form: forms.Form, hints: Hints = ()) -> Iterator[None]:
    """Run the block; if a service in it refuses (``DomainError``), put the refusal on ``form``.

    The rest of the block is skipped and the view goes on to render the form again, now with errors.
    """
    try:
        yield
    except DomainError as exc:
        apply_error(form, exc, hints)


def confirm_removal(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    remove: Callable[[], object],
    success: str,
    next_url: str,
) -> HttpResponseBase:
    """A removal's confirmation page: GET shows it; POST removes, says ``success`` and goes to ``next_url``.

    If the service refuses, the page is shown again with its message as ``error``.
    """
    error = ""
    if request.method == "POST":
        try:
            remove()
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, success)
            return redirect(next_url)
    return render(request, template, {**context, "error": error})

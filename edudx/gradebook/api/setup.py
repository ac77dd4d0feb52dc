"""REST API of the gradebook: setup. `ROUTES` are (prefix, viewset, basename) for the router; `urlpatterns` plain paths."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern

ROUTES: list[tuple[str, Any, str]] = []
urlpatterns: list[URLPattern] = []

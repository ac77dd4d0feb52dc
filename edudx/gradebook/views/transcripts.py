"""Pages of the gradebook: transcripts."""

from __future__ import annotations

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []

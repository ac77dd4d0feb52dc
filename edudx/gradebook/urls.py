"""Gradebook pages; each area's module lists its own routes."""

from .views import entry, results, setup, transcripts

app_name = "gradebook"

urlpatterns = [*entry.urlpatterns, *results.urlpatterns, *transcripts.urlpatterns, *setup.urlpatterns]

"""Every gradebook API route, collected for ``config.api_urls``."""

from .api import entry, results, setup, transcripts

ROUTES = [*entry.ROUTES, *results.ROUTES, *transcripts.ROUTES, *setup.ROUTES]
urlpatterns = [*entry.urlpatterns, *results.urlpatterns, *transcripts.urlpatterns, *setup.urlpatterns]

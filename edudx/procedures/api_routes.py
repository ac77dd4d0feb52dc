"""Every public-service API route, collected for ``config.api_urls``."""

from .api import catalogue, citizen, desk, results, targets

ROUTES = [*catalogue.ROUTES, *citizen.ROUTES, *desk.ROUTES, *results.ROUTES, *targets.ROUTES]
urlpatterns = [
    *catalogue.urlpatterns,
    *citizen.urlpatterns,
    *desk.urlpatterns,
    *results.urlpatterns,
    *targets.urlpatterns,
]

"""Every payment API route, collected for ``config.api_urls``."""

from . import api_views

ROUTES = [*api_views.ROUTES]
urlpatterns = [*api_views.urlpatterns]

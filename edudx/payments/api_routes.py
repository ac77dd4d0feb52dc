"""Every payment API route, collected for ``config.api_urls`` (being written)."""

ROUTES: list = []
urlpatterns: list = []

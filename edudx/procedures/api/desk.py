"""API: desk (being written)."""

ROUTES: list = []
urlpatterns: list = []

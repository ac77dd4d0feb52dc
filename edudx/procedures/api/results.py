"""API: results (being written)."""

ROUTES: list = []
urlpatterns: list = []

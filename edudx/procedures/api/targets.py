"""API: targets (being written)."""

ROUTES: list = []
urlpatterns: list = []

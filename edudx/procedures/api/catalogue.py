"""API: catalogue (being written)."""

ROUTES: list = []
urlpatterns: list = []

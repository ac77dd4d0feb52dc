"""API: citizen (being written)."""

ROUTES: list = []
urlpatterns: list = []

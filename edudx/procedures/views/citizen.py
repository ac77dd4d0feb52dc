"""Pages: citizen (being written)."""

urlpatterns: list = []

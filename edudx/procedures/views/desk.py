"""Pages: desk (being written)."""

urlpatterns: list = []

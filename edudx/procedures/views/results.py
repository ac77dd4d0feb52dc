"""Pages: results (being written)."""

urlpatterns: list = []

"""Pages: targets (being written)."""

urlpatterns: list = []

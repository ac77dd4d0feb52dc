"""Pages: catalogue (being written)."""

urlpatterns: list = []

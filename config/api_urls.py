"""REST API v1: every app's API routes are registered here."""

urlpatterns: list = []

"""Public pages (no log-in): verification of a học bạ số from its QR code."""

from .views import transcripts

app_name = "verify"

urlpatterns = [*getattr(transcripts, "public_urlpatterns", [])]

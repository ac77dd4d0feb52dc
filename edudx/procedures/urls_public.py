"""Public verification of an electronic result (no log-in), reached from the QR code printed on it."""

from .views import results

app_name = "dossier_verify"

urlpatterns = [*results.public_urlpatterns]

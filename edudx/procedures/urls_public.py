"""Public verification of an electronic result (no log-in), reached from the QR code printed on it."""

urlpatterns: list = []
app_name = "dossier_verify"

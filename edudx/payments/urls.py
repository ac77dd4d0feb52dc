"""Payment pages and the bank-notification endpoint (being written)."""

app_name = "payments"
urlpatterns: list = []

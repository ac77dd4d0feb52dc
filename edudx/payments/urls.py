"""Payment pages (mounted at /thanh-toan/) and the bank-notification endpoint."""

from .views import bank, bills, pay, reconcile

app_name = "payments"
urlpatterns = [*pay.urlpatterns, *bank.urlpatterns, *bills.urlpatterns, *reconcile.urlpatterns]

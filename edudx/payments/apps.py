from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "edudx.payments"
    label = "payments"
    verbose_name = "Thanh toán không dùng tiền mặt"

    def ready(self) -> None:
        from . import permissions  # noqa: F401  (registers the policies)

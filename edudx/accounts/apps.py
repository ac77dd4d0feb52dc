from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "edudx.accounts"
    label = "accounts"
    verbose_name = "Tài khoản"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the log-in receiver)

from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "edudx.procedures"
    label = "procedures"
    verbose_name = "Dịch vụ công trực tuyến và Bộ phận Một cửa"

    def ready(self) -> None:
        from . import kpis, permissions, reference_cache  # noqa: F401  (registers the policies and the KPIs)
        from .payment_hooks import connect as connect_payment_hooks

        connect_payment_hooks()  # a paid fee bill marks its dossier paid
        reference_cache.connect()  # a saved procedure version, desk or unit starts a new cache generation

from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "edudx.registry"
    label = "registry"
    verbose_name = "Cơ sở dữ liệu ngành"

    def ready(self) -> None:
        from . import kpis, permissions  # noqa: F401  (registers the policies and the plan targets)

from django.apps import AppConfig


class GradebookConfig(AppConfig):
    name = "edudx.gradebook"
    label = "gradebook"
    verbose_name = "Sổ điểm và đánh giá học sinh"

    def ready(self) -> None:
        from . import kpis, permissions  # noqa: F401  (registers the policies and the KPIs)

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "edudx.portal"
    label = "portal"
    verbose_name = "Cổng thông tin"

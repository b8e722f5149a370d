from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "xiaoneng.portal"
    label = "portal"

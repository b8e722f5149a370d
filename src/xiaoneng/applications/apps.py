from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "xiaoneng.applications"
    label = "applications"

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "xiaoneng.dashboard"
    label = "dashboard"

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "xiaoneng.notifications"
    label = "notifications"

from django.apps import AppConfig


class ClocksConfig(AppConfig):
    name = "xiaoneng.clocks"
    label = "clocks"

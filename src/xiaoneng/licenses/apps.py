from django.apps import AppConfig


class LicensesConfig(AppConfig):
    name = "xiaoneng.licenses"
    label = "licenses"

from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "xiaoneng.catalog"
    label = "catalog"

from django.apps import AppConfig


class RatingsConfig(AppConfig):
    name = "xiaoneng.ratings"
    label = "ratings"

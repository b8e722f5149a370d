from django.apps import AppConfig


class CalendarsConfig(AppConfig):
    name = "xiaoneng.calendars"
    label = "calendars"

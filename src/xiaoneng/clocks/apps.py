from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClocksConfig(AppConfig):
    name = "xiaoneng.clocks"
    label = "clocks"
    verbose_name = _("Clocks (time limits)")

    def ready(self) -> None:
        # Connected here rather than imported by the calendars room: dependencies point one
        # way (clocks uses calendars), and the calendar only announces what changed.
        from xiaoneng.calendars.signals import calendar_changed
        from xiaoneng.clocks.tasks import on_calendar_changed

        calendar_changed.connect(
            on_calendar_changed, dispatch_uid="clocks.recompute_on_calendar_changed"
        )

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "xiaoneng.supervision"
    label = "supervision"
    verbose_name = _("Efficiency supervision")

    def ready(self) -> None:
        # 办结销号: a stopped clock closes its open warnings in the stop's own transaction. The
        # clocks room only announces the stop; it does not know this room (dependencies point
        # one way).
        from xiaoneng.clocks.signals import clock_stopped
        from xiaoneng.supervision.services.warnings import on_clock_stopped

        clock_stopped.connect(on_clock_stopped, dispatch_uid="supervision.warnings_close_on_stop")

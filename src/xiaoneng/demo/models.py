"""The mark that this database holds the demo city, and how it was built."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DemoBuild(models.Model):
    """One build of the synthetic demo city. Its presence labels the whole database as demo."""

    built_at = models.DateTimeField(_("built at"), default=timezone.now)
    scale = models.PositiveIntegerField(_("scale"), default=1)
    seed = models.PositiveIntegerField(_("random seed"), default=2019)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("demo city build")
        verbose_name_plural = _("demo city builds")

    def __str__(self) -> str:
        return f"demo city ×{self.scale} built {self.built_at:%Y-%m-%d %H:%M}"

"""``xiaoneng scan-clocks [--today YYYY-MM-DD]``: run the warning scan once and say what changed.

Every running clock of every room turns yellow from its yellow day and red from the day after
its due date (DOMAIN_RULES.md §2); the warnings ledger gets one row per change and the
notices are queued (docs/warnings.md). Prints one line per change — the clock's label, its
department, the level before → after — then a summary line; exit code 0. The scheduler
(``xiaoneng scheduler``, ``settings.SCHEDULED_JOBS``) runs the same scan every 15 minutes.
``xiaoneng scan_clocks`` (Django's own spelling) works too.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoneng.clocks.models import WarningChoice
from xiaoneng.core.errors import XiaonengError
from xiaoneng.supervision.selectors.warnings import warning_records_by_ids
from xiaoneng.supervision.services.warnings import warnings_scan


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("expected a date written YYYY-MM-DD, got %(got)r") % {"got": value}
        ) from None


class Command(BaseCommand):
    help = "Run the warning scan once: clocks turn yellow or red, the ledger and notices follow."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today",
            type=_date,
            default=None,
            help="scan as of this day (YYYY-MM-DD, not in the future); default: today",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = warnings_scan(today=options["today"])
        except XiaonengError as exc:
            raise CommandError(exc.message) from exc
        labels = dict(WarningChoice.choices)
        records = warning_records_by_ids([change.record_id for change in result.changes])
        for record in records:
            self.stdout.write(
                f"{record.clock} · {record.department.name}: "
                f"{labels.get(record.previous_level, record.previous_level)} → "
                f"{labels.get(record.level, record.level)}"
            )
        closed = ", ".join(f"{reason} {n}" for reason, n in sorted(result.closed.items()))
        self.stdout.write(
            _(
                "Scan of %(day)s: %(opened)s warnings opened (%(yellow)s yellow, %(red)s red), "
                "%(closed)s closed%(reasons)s."
            )
            % {
                "day": result.today.isoformat(),
                "opened": result.opened,
                "yellow": result.yellow,
                "red": result.red,
                "closed": sum(result.closed.values()),
                "reasons": f" ({closed})" if closed else "",
            }
        )

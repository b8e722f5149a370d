"""``xiaoneng applications``: scheduled work on applications.

* ``xiaoneng applications accept-overdue [--today YYYY-MM-DD]`` — run daily: every application
  still waiting past the 5 working days of Art. 32(4) counts as accepted on the day its
  materials arrived (DOMAIN_RULES.md §2); prints one line per application and a total.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xiaoneng.applications.services import applications_accept_overdue


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("expected a date written YYYY-MM-DD, got %(got)r") % {"got": value}
        ) from None


class Command(BaseCommand):
    help = "Scheduled work on applications (docs/applications.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        overdue = actions.add_parser(
            "accept-overdue",
            help="accept applications left without a supplement notice for 5 working days",
        )
        overdue.add_argument("--today", type=_date, default=None, help="default: today")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "accept-overdue":
            accepted = applications_accept_overdue(today=options["today"])
            for application in accepted:
                self.stdout.write(
                    _("%(number)s accepted as of %(day)s (Art. 32(4))")
                    % {
                        "number": application.number,
                        "day": application.accepted_on.isoformat()
                        if application.accepted_on
                        else "",
                    }
                )
            self.stdout.write(_("%(n)s applications accepted.") % {"n": len(accepted)})

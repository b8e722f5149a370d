"""``xiaoneng workdays``: working-day arithmetic and the clock calculator on the command line.

Subcommands (DOMAIN_RULES.md §1–§2; docs/clock.md):

* ``xiaoneng workdays add START N`` — the N-th working day after START (START not counted;
  a START on a rest day counts from the next working day).
* ``xiaoneng workdays count A B`` — the number of working days in (A, B].
* ``xiaoneng workdays due START N [--pause P:R]... [--extend M]...`` — the due date of a
  clock started on START with N working days, pauses (P, R] and extensions of M days.

Answers go to stdout, one ISO date or integer. A date in a year whose holidays the calendar
does not hold is refused unless ``--provisional`` is given; then the weekends-only answer is
printed followed by `` provisional``. Bad input and refusals print exactly one line on stderr
and exit with code 2. The calendar is the platform's own table (``workday_calendar()``).
"""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoneng.calendars.rules import Marked, WorkdayCalendar
from xiaoneng.clocks import rules
from xiaoneng.core.errors import XiaonengError

EXIT_USAGE = 2


class _OneLineParser(CommandParser):
    """A parser whose errors are one line on stderr and exit code 2 (argparse prints the
    whole usage too, which scripts reading stderr do not want)."""

    def error(self, message: str) -> NoReturn:
        if self.called_from_command_line:
            sys.stderr.write(f"CommandError: {message}\n")
            sys.exit(EXIT_USAGE)
        raise CommandError(f"Error: {message}", returncode=EXIT_USAGE)


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            _("Expected a date as YYYY-MM-DD, got %(text)r.") % {"text": text},
            returncode=EXIT_USAGE,
        ) from None


def _days(text: str, what: str) -> int:
    if not text.isascii() or not text.isdigit():
        raise CommandError(
            _("Expected %(what)s as a whole number of 0 or more, got %(text)r.")
            % {"what": what, "text": text},
            returncode=EXIT_USAGE,
        )
    return int(text)


def _pause(text: str) -> rules.Pause:
    began, sep, ended = text.partition(":")
    if not sep or not began or not ended:
        raise CommandError(
            _("Expected --pause as P:R (two dates, e.g. 2025-03-05:2025-03-12), got %(text)r.")
            % {"text": text},
            returncode=EXIT_USAGE,
        )
    return rules.Pause(began_on=_iso_date(began), ended_on=_iso_date(ended))


def _refuse_provisional(calendar: WorkdayCalendar, first: dt.date, last: dt.date) -> NoReturn:
    lo, hi = min(first, last), max(first, last)
    missing = [y for y in range(lo.year, hi.year + 1) if y not in calendar.covered_years]
    raise CommandError(
        _(
            "The answer depends on %(year)s, whose holidays are not in the calendar (it covers "
            "%(covered)s). Import that year, or pass --provisional for a weekends-only answer."
        )
        % {"year": missing[0] if missing else lo.year, "covered": calendar.describe_coverage()},
        returncode=EXIT_USAGE,
    )


class Command(BaseCommand):
    help = (
        "Working-day arithmetic on the platform's holiday calendar: add, count, and the "
        "clock calculator (due)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        # Swap in the one-line error behaviour before the subparsers copy the parser class.
        parser.__class__ = _OneLineParser
        sub = parser.add_subparsers(dest="action", required=True, metavar="{add,count,due}")

        add = sub.add_parser("add", help="the N-th working day after START")
        add.add_argument("start", help="start day, YYYY-MM-DD (not counted)")
        add.add_argument("n", help="working days to add (0 or more)")

        count = sub.add_parser("count", help="working days in (A, B]")
        count.add_argument("a", help="first day, YYYY-MM-DD (not counted)")
        count.add_argument("b", help="last day, YYYY-MM-DD (counted)")

        due = sub.add_parser("due", help="due date of a clock with pauses and extensions")
        due.add_argument("start", help="start day, YYYY-MM-DD (not counted)")
        due.add_argument("n", help="time limit in working days")
        due.add_argument(
            "--pause",
            action="append",
            default=[],
            metavar="P:R",
            help="a pause: the working days in (P, R] are not counted (repeatable)",
        )
        due.add_argument(
            "--extend",
            action="append",
            default=[],
            metavar="M",
            help="an extension of M working days (repeatable)",
        )
        for subparser in (add, count, due):
            subparser.add_argument(
                "--provisional",
                action="store_true",
                help="answer for years not in the calendar weekends-only, marked provisional",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        from xiaoneng.calendars.selectors import workday_calendar

        action = options["action"]
        # Input first, so that a typo is reported even when the calendar cannot be loaded.
        if action == "count":
            first, last = _iso_date(options["a"]), _iso_date(options["b"])
        else:
            first, n = _iso_date(options["start"]), _days(options["n"], "N")
        if action == "due":
            pauses = sorted((_pause(p) for p in options["pause"]), key=lambda p: p.began_on)
            extension = sum(_days(m, "--extend M") for m in options["extend"])
        try:
            calendar = workday_calendar()
            result: Marked[Any]
            if action == "add":
                result = calendar.add_workdays_marked(first, n)
                last = result.value
            elif action == "count":
                result = calendar.count_workdays_marked(first, last)
            else:
                result = rules.due_date(
                    calendar,
                    started_on=first,
                    limit_days=n,
                    pauses=pauses,
                    extension_days=extension,
                )
                last = result.value
        except XiaonengError as exc:
            raise CommandError(exc.message, returncode=EXIT_USAGE) from exc
        if result.provisional and not options["provisional"]:
            _refuse_provisional(calendar, first, last)
        value = result.value.isoformat() if isinstance(result.value, dt.date) else result.value
        suffix = " provisional" if result.provisional else ""
        self.stdout.write(f"{value}{suffix}")

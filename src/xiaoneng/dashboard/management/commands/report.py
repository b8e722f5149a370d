"""``xiaoneng report``: the efficiency office's reports, written to files.

* ``xiaoneng report monthly --month YYYY-MM --out DIR [--department CODE]``: the monthly
  bulletin (每月通报) as ``bulletin-YYYY-MM.pdf`` and ``bulletin-YYYY-MM.xlsx`` (with
  ``-CODE`` before the extension for one department's), the same figures the dashboard shows
  for that month (docs/dashboard.md). ``DIR`` is created when missing.

The paths written go to stdout, one a line. A bad month, a month that has not begun, an
unknown department or a directory that cannot be written prints one line on stderr and exits
with code 2, like the platform's other commands.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.accounts.models import Department
from xiaoneng.core.errors import XiaonengError
from xiaoneng.dashboard import reports

USAGE_ERROR = 2


def _one_line_error(parser: CommandParser, message: str) -> NoReturn:
    """argparse prints the whole usage; the platform's commands print one line and exit 2."""
    if not parser.called_from_command_line:
        raise CommandError(f"Error: {message}", returncode=USAGE_ERROR)
    usage = " ".join(parser.format_usage().split())
    sys.stderr.write(f"{parser.prog}: error: {message} ({usage})\n")
    sys.exit(USAGE_ERROR)


def _writable_dir(text: str) -> Path:
    """``text`` as a directory to write into, created when missing."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        raise CommandError(
            _("--out: expected a directory, got the file %(path)s.") % {"path": path},
            returncode=USAGE_ERROR,
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CommandError(
            _("--out: cannot create the directory %(path)s: %(error)s.")
            % {"path": path, "error": exc.strerror or exc},
            returncode=USAGE_ERROR,
        ) from exc
    return path


class Command(BaseCommand):
    help = gettext_lazy(  # type: ignore[assignment]
        "Write the efficiency office's reports: the monthly bulletin as PDF and Excel."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = types.MethodType(_one_line_error, parser)  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="report", required=True, metavar="REPORT")
        help_text = _("The monthly bulletin (每月通报) of one month, as PDF and Excel.")
        monthly = sub.add_parser("monthly", help=help_text, description=help_text)
        monthly.error = types.MethodType(_one_line_error, monthly)  # type: ignore[method-assign]
        monthly.add_argument("--month", required=True, metavar="YYYY-MM", help=_("the month"))
        monthly.add_argument(
            "--out", required=True, metavar="DIR", help=_("directory the files are written to")
        )
        monthly.add_argument(
            "--department",
            metavar="CODE",
            help=_("one department's bulletin (its code); default: the whole city"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # Input first, so that a typo is reported before any figure is computed.
        try:
            month = reports.parse_month(options["month"])
            reports.month_period(month, today=timezone.localdate())
        except XiaonengError as exc:
            raise CommandError(f"--month: {exc.message}", returncode=USAGE_ERROR) from exc
        department = None
        if options.get("department"):
            department = Department.objects.filter(code=options["department"]).first()
            if department is None:
                raise CommandError(
                    _("--department: expected the code of a department, got %(code)s.")
                    % {"code": repr(options["department"])},
                    returncode=USAGE_ERROR,
                )
        out = _writable_dir(options["out"])
        try:
            bulletin = reports.bulletin_data(month=month, department=department)
        except XiaonengError as exc:
            raise CommandError(f"--month: {exc.message}", returncode=USAGE_ERROR) from exc
        for extension, render in (("pdf", reports.bulletin_pdf), ("xlsx", reports.bulletin_xlsx)):
            path = out / bulletin.filename(extension)
            try:
                path.write_bytes(render(bulletin))
            except OSError as exc:
                raise CommandError(
                    _("--out: cannot write %(path)s: %(error)s.")
                    % {"path": path, "error": exc.strerror or exc},
                    returncode=USAGE_ERROR,
                ) from exc
            self.stdout.write(str(path))

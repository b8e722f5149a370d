"""``xiaoneng calendar``: import, export and inspect the holiday table.

* ``xiaoneng calendar import FILE... [--dry-run] [--actor USERNAME]``: import one year per
  YAML file (format in docs/calendar.md); all files or none.
* ``xiaoneng calendar export YEAR``: the year as YAML on stdout, re-importable.
* ``xiaoneng calendar coverage``: the covered years, gaps and the latest notice.
* ``xiaoneng calendar seed [--year Y]... [--replace]``: import years from the installed
  chinese-calendar package (after upgrading it to a release with a new year).

Results go to stdout; for bad input, a bad file or an uncovered year, one line goes to stderr
and the exit code is 2.
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any, NoReturn

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from xiaoneng.calendars import selectors, services
from xiaoneng.calendars.documents import dump_year_document, load_yaml, parse_year_document
from xiaoneng.core.errors import XiaonengError

USAGE_ERROR = 2


def _one_line_error(parser: CommandParser, message: str) -> NoReturn:
    """argparse prints the whole usage; the platform's commands print one line and exit 2."""
    if not parser.called_from_command_line:
        raise CommandError(f"Error: {message}", returncode=USAGE_ERROR)
    usage = " ".join(parser.format_usage().split())
    sys.stderr.write(f"{parser.prog}: error: {message} ({usage})\n")
    sys.exit(USAGE_ERROR)


class Command(BaseCommand):
    help = gettext_lazy(  # type: ignore[assignment]
        "Import, export and inspect the holiday table (the working-day calendar)."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = types.MethodType(_one_line_error, parser)  # type: ignore[method-assign]
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        def subparser(name: str, help_text: str) -> CommandParser:
            p = sub.add_parser(name, help=help_text, description=help_text)
            p.error = types.MethodType(_one_line_error, p)  # type: ignore[method-assign]
            return p  # type: ignore[no-any-return]

        p = subparser("import", _("Import one year per YAML file (all files or none)."))
        p.add_argument("files", nargs="+", metavar="FILE", help=_("YAML file of one year"))
        p.add_argument(
            "--dry-run", action="store_true", help=_("check and compare, but write nothing")
        )
        p.add_argument(
            "--actor", metavar="USERNAME", help=_("user recorded in the audit trail as importer")
        )

        p = subparser("export", _("Print one year as YAML, ready to be imported again."))
        p.add_argument("year", type=int, metavar="YEAR")

        subparser("coverage", _("Show the covered years, the gaps and the latest notice."))

        p = subparser("seed", _("Import years from the installed chinese-calendar package."))
        p.add_argument(
            "--year",
            type=int,
            action="append",
            dest="years",
            metavar="YEAR",
            help=_("a year to import (repeatable); default: every year of the package"),
        )
        p.add_argument(
            "--replace",
            action="store_true",
            help=_("re-import years already covered (their corrections are lost)"),
        )
        p.add_argument(
            "--actor", metavar="USERNAME", help=_("user recorded in the audit trail as importer")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        try:
            if action == "import":
                self._import(options)
            elif action == "export":
                self._export(options["year"])
            elif action == "coverage":
                self._coverage()
            elif action == "seed":
                self._seed(options)
        except XiaonengError as exc:
            raise CommandError(exc.message, returncode=USAGE_ERROR) from exc

    # -- actions ----------------------------------------------------------------------------

    def _actor(self, username: str | None) -> Any | None:
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                _("--actor: expected the username of an existing user, got %(name)s.")
                % {"name": username},
                returncode=USAGE_ERROR,
            )
        return user

    def _import(self, options: dict[str, Any]) -> None:
        files: list[str] = options["files"]
        actor = self._actor(options.get("actor"))
        dry_run = bool(options["dry_run"])
        total = len(files)
        documents = []
        years: dict[int, str] = {}
        for number, name in enumerate(files, start=1):
            self.stdout.write(
                _("[%(n)s/%(total)s] Checking %(file)s")
                % {"n": number, "total": total, "file": name}
            )
            try:
                text = Path(name).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(
                    _("%(file)s: expected a readable UTF-8 YAML file, got: %(error)s")
                    % {"file": name, "error": getattr(exc, "strerror", None) or exc},
                    returncode=USAGE_ERROR,
                ) from exc
            try:
                document = parse_year_document(load_yaml(text))
            except XiaonengError as exc:
                raise CommandError(f"{name}: {exc.message}", returncode=USAGE_ERROR) from exc
            if document.year in years:
                raise CommandError(
                    _("%(file)s: %(year)s is also in %(other)s; expected each year once.")
                    % {"file": name, "year": document.year, "other": years[document.year]},
                    returncode=USAGE_ERROR,
                )
            years[document.year] = name
            documents.append(document)

        summaries = []
        with transaction.atomic():
            for number, document in enumerate(documents, start=1):
                self.stdout.write(
                    (
                        _("[%(n)s/%(total)s] Comparing %(year)s")
                        if dry_run
                        else _("[%(n)s/%(total)s] Importing %(year)s")
                    )
                    % {"n": number, "total": total, "year": document.year}
                )
                summary = services.calendar_year_import(
                    actor=actor, document=document, dry_run=dry_run
                )
                self.stdout.write("  " + summary.line())
                summaries.append(summary)
        self.stdout.write(
            self.style.SUCCESS(
                (
                    _("Dry run: %(n)s year(s) checked (%(years)s); nothing written.")
                    if dry_run
                    else _("Imported %(n)s year(s): %(years)s.")
                )
                % {
                    "n": len(summaries),
                    "years": ", ".join(str(s.year) for s in summaries),
                }
            )
        )

    def _export(self, year: int) -> None:
        row = selectors.calendar_year_get(year=year)
        document = selectors.calendar_year_document(year=year)
        if row is None and not (document.holidays or document.adjusted_workdays):
            coverage = selectors.calendar_coverage()
            raise CommandError(
                _("%(year)s is not in the calendar; expected a covered year (%(covered)s).")
                % {"year": year, "covered": coverage.description or _("none")},
                returncode=USAGE_ERROR,
            )
        if row is not None:
            header = _(
                "Holidays and adjusted working days of %(year)s from the Xiaoneng holiday "
                "table\n(source: %(source)s; notice: %(notice)s), exported %(when)s.\n"
                "Import again with: xiaoneng calendar import FILE"
            ) % {
                "year": year,
                "source": row.get_source_display(),
                "notice": row.notice or "-",
                "when": timezone.localdate().isoformat(),
            }
        else:
            header = _(
                "Draft days of %(year)s (the year is not covered yet), exported %(when)s.\n"
                "Import with: xiaoneng calendar import FILE"
            ) % {"year": year, "when": timezone.localdate().isoformat()}
        self.stdout.write(dump_year_document(document, header=header), ending="")

    def _coverage(self) -> None:
        coverage = selectors.calendar_coverage(today=timezone.localdate())
        if not coverage.covered_years:
            self.stdout.write(_("No year is covered: every working-day computation is refused."))
            return
        assert coverage.covered_from is not None and coverage.covered_to is not None
        self.stdout.write(
            _("Covered years: %(years)s (%(first)s to %(last)s)")
            % {
                "years": coverage.description,
                "first": coverage.covered_from.isoformat(),
                "last": coverage.covered_to.isoformat(),
            }
        )
        self.stdout.write(
            _("Gaps: %(gaps)s")
            % {"gaps": ", ".join(map(str, coverage.gaps)) if coverage.gaps else _("none")}
        )
        next_year = timezone.localdate().year + 1
        self.stdout.write(
            _("Next year (%(year)s): covered") % {"year": next_year}
            if coverage.next_year_covered
            else _("Next year (%(year)s): not covered; due dates reaching into it are provisional")
            % {"year": next_year}
        )
        if coverage.draft_years:
            self.stdout.write(
                _("Draft days, not in effect until their year is added: %(years)s")
                % {"years": ", ".join(map(str, coverage.draft_years))}
            )
        latest = coverage.latest
        if latest is not None:
            self.stdout.write(
                _("Latest year: %(year)s, %(source)s, notice %(notice)s, imported %(when)s")
                % {
                    "year": latest.year,
                    "source": latest.get_source_display(),
                    "notice": latest.notice or "-",
                    "when": timezone.localtime(latest.imported_at).strftime("%Y-%m-%d %H:%M"),
                }
            )

    def _seed(self, options: dict[str, Any]) -> None:
        actor = self._actor(options.get("actor"))
        summaries = services.calendar_package_seed(
            actor=actor, years=options.get("years"), replace=bool(options["replace"])
        )
        for summary in summaries:
            self.stdout.write("  " + summary.line())
        self.stdout.write(
            self.style.SUCCESS(
                _("Seeded %(n)s year(s) from the chinese-calendar package.") % {"n": len(summaries)}
            )
        )

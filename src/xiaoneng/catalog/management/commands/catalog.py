"""``xiaoneng catalog``: import, export and activate the service-matter catalog.

* ``xiaoneng catalog import FILE [--dry-run] [--effective-from DATE] [--format yaml|xlsx]``
* ``xiaoneng catalog export --format yaml|xlsx --out FILE`` (YAML to stdout without ``--out``)
* ``xiaoneng catalog activate [--on DATE]`` — run daily: versions whose day has come take effect

A file that cannot be imported prints its errors on stderr, one line each (the first line says
how many and that nothing was imported), and exits with code 2. The format is in
docs/catalog-import.md.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from xiaoneng.catalog.services import catalog_export, catalog_import, matter_versions_activate
from xiaoneng.core.errors import InvalidInput

PROGRESS_EVERY = 50


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(
            _("expected a date written YYYY-MM-DD, got %(got)r") % {"got": value}
        ) from None


class Command(BaseCommand):
    help = "Import, export or activate the service-matter catalog (docs/catalog-import.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        do_import = actions.add_parser("import", help="import a YAML or Excel catalog file")
        do_import.add_argument("file", help="a .yaml, .yml or .xlsx file")
        do_import.add_argument(
            "--dry-run", action="store_true", help="check and count, then save nothing"
        )
        do_import.add_argument(
            "--effective-from",
            type=_date,
            default=None,
            help="effective date of every new version (default: the file's, else today)",
        )
        do_import.add_argument("--format", choices=["yaml", "xlsx"], default=None)
        do_export = actions.add_parser("export", help="export the whole catalog")
        do_export.add_argument("--format", choices=["yaml", "xlsx"], default=None)
        do_export.add_argument("--out", default=None, help="file to write ('-' for stdout)")
        do_activate = actions.add_parser(
            "activate", help="make versions whose effective date has come the current ones"
        )
        do_activate.add_argument("--on", type=_date, default=None, help="default: today")
        do_compare = actions.add_parser(
            "compare",
            help="compare materials, steps and limits in force on two dates (claim S10)",
        )
        do_compare.add_argument("--before", type=_date, required=True, help="YYYY-MM-DD")
        do_compare.add_argument("--after", type=_date, required=True, help="YYYY-MM-DD")
        do_compare.add_argument(
            "--department", default=None, help="department code (sub-departments included)"
        )
        do_compare.add_argument(
            "--name",
            action="append",
            default=[],
            help="only matters with exactly this name (repeatable)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "import":
            self._import(options)
        elif action == "export":
            self._export(options)
        elif action == "compare":
            self._compare(options)
        else:
            moved = matter_versions_activate(actor=None, on=options["on"])
            self.stdout.write(
                _("%(count)s matters changed their current version.") % {"count": moved}
            )

    def _fail(self, lines: list[str]) -> None:
        for line in lines:
            self.stderr.write(line)
        raise SystemExit(2)

    def _import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])

        def progress(done: int, total: int) -> None:
            if done % PROGRESS_EVERY == 0 or done == total:
                self.stdout.write(_("matters %(done)s/%(total)s") % {"done": done, "total": total})

        try:
            summary = catalog_import(
                actor=None,
                path=path,
                format=options["format"],
                effective_from=options["effective_from"],
                dry_run=options["dry_run"],
                progress=progress,
            )
        except InvalidInput as exc:
            errors = [str(e) for e in getattr(exc, "errors", [])]
            first = f"{path}: {exc.message}"
            self._fail([first, *(e for e in errors if e != exc.message)])
            return
        self.stdout.write(self.style.SUCCESS(str(summary)))

    def _export(self, options: dict[str, Any]) -> None:
        out = options["out"]
        fmt = options["format"]
        if fmt is None:
            suffix = Path(out).suffix.lower() if out and out != "-" else ".yaml"
            fmt = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx"}.get(suffix)
            if fmt is None:
                self._fail(
                    [
                        _("Cannot tell the format of %(out)s; pass --format yaml or xlsx.")
                        % {"out": out}
                    ]
                )
        if fmt == "xlsx" and (out is None or out == "-"):
            self._fail([_("An Excel export needs a file: pass --out FILE.xlsx.")])
        data = catalog_export(format=fmt)
        if out is None or out == "-":
            self.stdout.write(data.decode("utf-8"), ending="")
            return
        try:
            Path(out).write_bytes(data)
        except OSError as exc:
            self._fail(
                [
                    _("Cannot write %(out)s: %(problem)s")
                    % {"out": out, "problem": exc.strerror or exc}
                ]
            )
        self.stdout.write(
            self.style.SUCCESS(
                _("Wrote the catalog to %(out)s (%(size)s bytes).")
                % {"out": out, "size": len(data)}
            )
        )

    def _compare(self, options: dict[str, Any]) -> None:
        """Print the catalog's change between two dates, summed over the chosen matters."""
        from xiaoneng.accounts.models import Department
        from xiaoneng.accounts.selectors import department_descendant_ids
        from xiaoneng.catalog.models import Matter
        from xiaoneng.catalog.selectors import catalog_compare

        matters = Matter.objects.all()
        if options["department"]:
            department = Department.objects.filter(code=options["department"]).first()
            if department is None:
                self._fail(
                    [_("No department has the code %(code)r.") % {"code": options["department"]}]
                )
                return
            matters = matters.filter(
                versions__department_id__in=department_descendant_ids(department)
            ).distinct()
        if options["name"]:
            matters = matters.filter(versions__name__in=options["name"]).distinct()
        comparison = catalog_compare(
            before=options["before"], after=options["after"], matters=matters
        )
        for name, change in comparison.as_dict().items():
            percent = "—" if change["percent"] is None else f"{change['percent']:+.1f} %"
            self.stdout.write(f"{name:<20} {change['before']:>7} → {change['after']:>7}  {percent}")

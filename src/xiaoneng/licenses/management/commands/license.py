"""``xiaoneng license``: verify, revoke, and rotate seal keys from the command line.

* ``xiaoneng license verify IDENTIFIER [--file COPY]`` — print the status and reason; exit 0
  when valid, 1 otherwise (revoked, expired, forged, unknown).
* ``xiaoneng license revoke IDENTIFIER --reason TEXT [--by USERNAME]`` — revoke (audited).
* ``xiaoneng license rotate-key DEPARTMENT_CODE [--by USERNAME]`` — retire the department's
  seal key and make a new one (after SECRET_KEY changed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import Department
from xiaoneng.core.errors import XiaonengError
from xiaoneng.licenses import selectors, services

EXIT_NOT_VALID = 1


class Command(BaseCommand):
    help = "Verify or revoke e-licenses and rotate seal keys."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="Print the status of an e-license.")
        verify.add_argument("identifier")
        verify.add_argument("--file", help="A PDF or JSON copy to check as well.")
        revoke = sub.add_parser("revoke", help="Revoke an e-license.")
        revoke.add_argument("identifier")
        revoke.add_argument("--reason", required=True)
        revoke.add_argument("--by", default="", help="Username recorded as the actor.")
        rotate = sub.add_parser("rotate-key", help="Replace a department's seal key.")
        rotate.add_argument("department")
        rotate.add_argument("--by", default="", help="Username recorded as the actor.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "verify":
            self._verify(options["identifier"], options.get("file"))
        elif action == "revoke":
            self._revoke(options["identifier"], options["reason"], options["by"])
        else:
            self._rotate(options["department"], options["by"])

    def _verify(self, identifier: str, file: str | None) -> None:
        content = Path(file).read_bytes() if file else None
        result = selectors.license_verify(identifier=identifier, content=content)
        self.stdout.write(f"{result.status} {result.reason}: {result.message}")
        if not result.valid:
            raise SystemExit(EXIT_NOT_VALID)

    def _actor(self, username: str) -> Any:
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(_("No user %(name)r.") % {"name": username}) from None

    def _revoke(self, identifier: str, reason: str, by: str) -> None:
        license = selectors.license_by_identifier(identifier)
        if license is None:
            raise CommandError(_("No e-license %(id)s.") % {"id": identifier})
        try:
            services.license_revoke(actor=self._actor(by), license=license, reason=reason)
        except XiaonengError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(_("Revoked %(id)s.") % {"id": identifier})

    def _rotate(self, code: str, by: str) -> None:
        department = Department.objects.filter(code=code).first()
        if department is None:
            raise CommandError(_("No department with code %(code)r.") % {"code": code})
        key = services.seal_key_rotate(actor=self._actor(by), department=department)
        self.stdout.write(
            _("New seal key %(fp)s for %(code)s.") % {"fp": key.fingerprint, "code": code}
        )

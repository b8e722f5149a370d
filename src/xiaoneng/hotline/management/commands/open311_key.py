"""``xiaoneng open311-key NAME [--by USERNAME]``: create an Open311 API key for a client.

The key is printed once on stdout and never again: only its SHA-256 digest is stored.
Without ``--by`` the key belongs to the system: whoever may run management commands on the
server may create one, and the requests posted with it are registered with no actor, like a
citizen's anonymous web request. ``--by`` names a hotline operator instead, who then
registers the requests posted with the key (and the key stops working if they stop being an
operator).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoneng.accounts.models import User
from xiaoneng.core.errors import XiaonengError
from xiaoneng.hotline.services.tickets import open311_key_create


class Command(BaseCommand):
    help = "Create an Open311 API key for a client; the key is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="What the key is for, e.g. the client app.")
        parser.add_argument(
            "--by",
            default=None,
            help=(
                "Username of the hotline operator who registers the key's requests; "
                "without it the system registers them."
            ),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = None
        if options["by"] is not None:
            actor = User.objects.select_related("department").filter(username=options["by"]).first()
            if actor is None:
                raise CommandError(
                    _("--by names an existing user, got %(username)r.")
                    % {"username": options["by"]}
                )
        try:
            key, raw = open311_key_create(actor=actor, name=options["name"])
        except XiaonengError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(raw)
        # On stderr, so that `KEY=$(xiaoneng open311-key app)` captures the key alone.
        self.stderr.write(
            _("Open311 key %(id)s %(name)r created: it is shown once, store it now.")
            % {"id": key.pk, "name": key.name}
        )

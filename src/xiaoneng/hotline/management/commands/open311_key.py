"""``xiaoneng open311-key NAME --by USERNAME``: create an Open311 API key for a client.

The key is printed once on stdout and never again: only its SHA-256 digest is stored.
``--by`` names the hotline operator who creates the key; the requests posted with it are
registered by that operator (``ticket_register`` accepts operators only).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from xiaoneng.accounts.models import User
from xiaoneng.core.errors import XiaonengError
from xiaoneng.hotline.services.tickets import open311_key_create


class Command(BaseCommand):
    help = "Create an Open311 API key for a client; the key is printed once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="What the key is for, e.g. the client app.")
        parser.add_argument(
            "--by", required=True, help="Username of the hotline operator creating the key."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.select_related("department").filter(username=options["by"]).first()
        if actor is None:
            raise CommandError(f"No user {options['by']!r}.")
        try:
            key, raw = open311_key_create(actor=actor, name=options["name"])
        except XiaonengError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(raw)
        self.stderr.write(f"Open311 key {key.pk} {key.name!r}: shown once, store it now.")

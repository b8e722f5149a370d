"""``xiaoneng hotline train|check-rules``: the dispatch classifier and the routing rules.

``train [--test-fraction F] [--seed N] [--min-tickets N]`` trains the dispatch classifier on
the platform's closed tickets, prints the number of tickets and departments, the held-out
accuracy and top-3 accuracy, and saves the model (the newest is the one in use).

``check-rules`` switches off every active routing rule whose department is inactive and
prints each one; it prints nothing else when every rule is fine, so it can run from cron.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from xiaoneng.core.errors import XiaonengError
from xiaoneng.hotline.services import routing as services


class Command(BaseCommand):
    help = "Hotline dispatch suggestions: train the classifier, check the routing rules."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="subcommand", required=True)
        train = commands.add_parser(
            "train",
            help="Train the dispatch classifier on closed tickets and save it.",
        )
        train.add_argument(
            "--test-fraction",
            type=float,
            default=0.2,
            help="Share of tickets held out to measure accuracy (default 0.2).",
        )
        train.add_argument(
            "--seed", type=int, default=2019, help="Seed of the split and the model (2019)."
        )
        train.add_argument(
            "--min-tickets",
            type=int,
            default=services.DEFAULT_MIN_TICKETS,
            help=f"Refuse to train on fewer tickets (default {services.DEFAULT_MIN_TICKETS}).",
        )
        commands.add_parser(
            "check-rules",
            help="Switch off routing rules whose department is inactive; print each.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["subcommand"] == "train":
                self._train(options)
            else:
                self._check_rules()
        except XiaonengError as error:
            raise CommandError(error.message) from error

    def _train(self, options: dict[str, Any]) -> None:
        model = services.dispatch_model_train(
            actor=None,
            test_fraction=options["test_fraction"],
            seed=options["seed"],
            min_tickets=options["min_tickets"],
        )
        lines = [
            _("Tickets: %(total)s (%(train)s trained on, %(test)s held out)")
            % {
                "total": model.train_size + model.test_size,
                "train": model.train_size,
                "test": model.test_size,
            },
            _("Departments: %(count)s") % {"count": len(model.labels)},
            _("Held-out accuracy: %(value).3f") % {"value": model.accuracy},
            _("Held-out top-3 accuracy: %(value).3f") % {"value": model.top3_accuracy},
            _("Saved dispatch model %(id)s (%(at)s).")
            % {"id": model.pk, "at": f"{model.trained_at:%Y-%m-%d %H:%M}"},
        ]
        for line in lines:
            self.stdout.write(line)

    def _check_rules(self) -> None:
        for rule in services.routing_rules_switch_off_inactive(actor=None):
            self.stdout.write(
                _(
                    "Switched off rule %(id)s (%(position)s. %(name)s): department %(code)s "
                    "%(department)s is inactive."
                )
                % {
                    "id": rule.pk,
                    "position": rule.position,
                    "name": rule.name,
                    "code": rule.department.code,
                    "department": rule.department.name,
                }
            )

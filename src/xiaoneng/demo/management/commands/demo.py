"""``xiaoneng demo``: build the synthetic demo city (once) and print a summary."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from xiaoneng.core.errors import XiaonengError
from xiaoneng.demo.selectors import demo_is_built
from xiaoneng.demo.services import demo_build


class Command(BaseCommand):
    help = (
        "Build the demo city: a deterministic, clearly labelled synthetic city whose data add "
        "up to the report's figures (docs/demo-city.md). Only into an empty database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="multiplies the county-level catalog and the season of applications (≥ 1)",
        )
        parser.add_argument("--seed", type=int, default=2019, help="random seed (default 2019)")
        parser.add_argument(
            "--no-activity",
            action="store_true",
            help=(
                "build the city without its recent activity: the season of applications, "
                "the supervision tasks and the hotline's tickets (faster; the hotline's "
                "tables and operators are still built)"
            ),
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (exit 0) when the demo city is already built",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scale = options["scale"]
        if scale < 1:
            self.stderr.write(f"--scale must be 1 or more, got {scale}")
            sys.exit(2)
        if options["if_empty"] and demo_is_built():
            self.stdout.write("The demo city is already built; nothing to do.")
            return
        started = time.monotonic()
        last: dict[str, float] = {}

        def progress(step: str, done: int, total: int) -> None:
            now = time.monotonic()
            if done == total or now - last.get(step, 0) > 1:
                last[step] = now
                self.stdout.write(f"  {step}: {done}/{total}")

        self.stdout.write(f"Building the demo city (seed {options['seed']}, scale {scale})…")
        try:
            summary = demo_build(
                seed=options["seed"],
                scale=scale,
                progress=progress,
                activity=not options["no_activity"],
            )
        except XiaonengError as exc:
            self.stderr.write(exc.message)
            sys.exit(2)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo city built in {elapsed:.1f} s: {summary.departments} departments, "
                f"{summary.users} accounts, {summary.matters} matters "
                f"({summary.versions} versions, {summary.materials} materials)."
            )
        )
        season = summary.extra.get("activity")
        if season:
            self.stdout.write(
                f"Season of {season['applications']} applications: {season['concluded']} "
                f"concluded ({season['concluded_late']} late), {season['open']} open "
                f"({season['open_yellow']} yellow, {season['open_red']} red), "
                f"{season['ratings']} ratings ({season['bad_reviews']} bad reviews)."
            )
        hotline = summary.extra.get("hotline")
        if hotline:
            self.stdout.write(
                f"12345 hotline: {hotline['categories']} categories, {hotline['old_numbers']} "
                f"old numbers, {hotline['articles']} articles, {hotline['routing_rules']} "
                f"routing rules; {hotline['tickets']} tickets ({hotline['closed']} closed, "
                f"{hotline['to_dispatch']} to dispatch, {hotline['in_departments']} in "
                f"departments, {hotline['to_visit']} to visit back; {hotline['open_yellow']} "
                f"yellow, {hotline['open_red']} red)."
            )
            if "dispatch_model_accuracy" in hotline:
                self.stdout.write(
                    "Dispatch classifier trained on the closed tickets: held-out accuracy "
                    f"{hotline['dispatch_model_accuracy']:.1%}, top-3 "
                    f"{hotline['dispatch_model_top3_accuracy']:.1%}."
                )

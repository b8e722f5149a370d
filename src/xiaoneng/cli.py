"""The ``xiaoneng`` console command: Django's management commands plus the platform's own.

Examples: ``xiaoneng migrate``, ``xiaoneng demo``, ``xiaoneng workdays add 2024-09-27 20``,
``xiaoneng calendar import notice-2027.yaml``, ``xiaoneng serve``.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["xiaoneng", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    main()

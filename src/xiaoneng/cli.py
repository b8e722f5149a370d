"""The ``xiaoneng`` console command: Django's management commands plus the platform's own.

Examples: ``xiaoneng migrate``, ``xiaoneng demo``, ``xiaoneng workdays add 2024-09-27 20``,
``xiaoneng calendar import notice-2027.yaml``, ``xiaoneng serve``.
"""

from __future__ import annotations

import os
import sys

# Commands spelled as the docs spell them; Django names a command after its module, which
# cannot hold a hyphen.
ALIASES = {"scan-clocks": "scan_clocks", "open311-key": "open311_key"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xiaoneng.settings")
    from django.core.management import execute_from_command_line

    args = list(argv if argv is not None else sys.argv[1:])
    if args:
        args[0] = ALIASES.get(args[0], args[0])
    execute_from_command_line(["xiaoneng", *args])


if __name__ == "__main__":
    main()

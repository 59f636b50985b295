"""`pilotage`: one entry point around Django's management commands.

`pilotage serve` runs the web server on http://127.0.0.1:8000; every other word is a
management command (`pilotage load`, `pilotage migrate`, `pilotage createsuperuser` ...).
"""

from __future__ import annotations

import os
import sys

# Friendly names for the commands people use most.
ALIASES = {
    "serve": "runserver",
}


def main(argv: list[str] | None = None) -> int:
    """Run a Pilotage command; returns the process exit code."""
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    if len(argv) > 1:
        argv[1] = ALIASES.get(argv[1], argv[1])
    if (
        len(argv) > 1
        and argv[1] == "runserver"
        and not any(not arg.startswith("-") for arg in argv[2:])
    ):
        argv.append("127.0.0.1:8000")
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())

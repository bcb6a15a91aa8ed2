#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evalprep.settings")
    from django.core.management import execute_from_command_line

    from evalprep.preflight import run_guarded

    run_guarded(lambda: execute_from_command_line(sys.argv))


if __name__ == "__main__":
    main()

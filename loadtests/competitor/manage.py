#!/usr/bin/env python3
"""Competitor project: the compared endpoints (loadtests/bench_api.py, the same
handler module bolt serves) served by django-bolt 0.13 (PyPI)."""

import os
import sys
from pathlib import Path

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compsite.settings")
    # loadtests/ holds the shared bench_api.py (settings.BOLT_API); appended, so this
    # project's own modules (people, compsite) come first.
    sys.path.append(str(Path(__file__).resolve().parent.parent))
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

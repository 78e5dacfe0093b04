#!/usr/bin/env python3
"""Competitor project: the same five endpoints served by django-bolt 0.13 (PyPI)."""
import os
import sys

if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "compsite.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)

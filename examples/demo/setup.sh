#!/bin/sh
# Prepare the demo database: apply migrations, then seed 100 people.
# Usage: PYTHON=/path/to/python ./setup.sh   (default: python3)
set -eu
cd "$(dirname "$0")"
PYTHON="${PYTHON:-python3}"
"$PYTHON" manage.py migrate --noinput
"$PYTHON" manage.py seed

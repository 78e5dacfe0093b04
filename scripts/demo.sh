#!/usr/bin/env bash
# Sets up everything and serves the demo project on every core: http://127.0.0.1:8000/hello
source "$(dirname "$0")/env.sh"
cd examples/demo
exec ../../.venv/bin/bolt --cores all "$@"

"""The bolt process: command line and flags, start-up errors, shutdown, --dev reload, /health and
/ready, DEBUG pages and logging."""

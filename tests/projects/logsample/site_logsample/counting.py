"""A LoggingConfig that says on stderr each time the worker hands it a request to record, so a
test can tell whether Rust called into Python for the request log at all."""

import os

from django_bolt import LoggingConfig


class CountingConfig(LoggingConfig):
    def record(self, *args, **kwargs):
        os.write(2, b"counting: record called\n")
        return super().record(*args, **kwargs)

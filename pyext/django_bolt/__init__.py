"""django-bolt: serve a Django project's typed JSON API from Rust.

>>> from django_bolt import BoltAPI
>>> api = BoltAPI()
>>> @api.get("/hello")
... async def hello() -> dict:
...     return {"message": "Hello, World!"}

Run ``bolt --cores all`` inside the project.
"""

from __future__ import annotations

import sys as _sys

__version__ = "0.1.0"

if _sys.version_info >= (3, 13):  # noqa: UP036 - this block is what an older Python skips
    from ._public import *  # noqa: F403 - the public API, listed in _public.__all__
    from ._public import __all__
else:
    # An older Python imports the package only far enough for ``bolt`` (cli.py, written for any
    # Python 3) to refuse it with a message rather than a traceback from some newer syntax.
    __all__ = ["__version__"]

"""Django behind the API: the admin and sessions through bolt, the ORM (sync and async), per-request
database housekeeping, the short path through asgiref."""

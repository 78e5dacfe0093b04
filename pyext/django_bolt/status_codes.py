"""HTTP status codes by name, as django-bolt's ``status_codes`` (also ``django_bolt.status``).

>>> from django_bolt import status
>>> status.HTTP_201_CREATED, status.is_success(204)
(201, True)

The names are ``HTTP_<code>_<IANA reason phrase>``, as ``http.HTTPStatus`` spells them.
"""

from __future__ import annotations

from typing import Final

HTTP_100_CONTINUE: Final = 100
HTTP_101_SWITCHING_PROTOCOLS: Final = 101
HTTP_102_PROCESSING: Final = 102
HTTP_103_EARLY_HINTS: Final = 103
HTTP_200_OK: Final = 200
HTTP_201_CREATED: Final = 201
HTTP_202_ACCEPTED: Final = 202
HTTP_203_NON_AUTHORITATIVE_INFORMATION: Final = 203
HTTP_204_NO_CONTENT: Final = 204
HTTP_205_RESET_CONTENT: Final = 205
HTTP_206_PARTIAL_CONTENT: Final = 206
HTTP_207_MULTI_STATUS: Final = 207
HTTP_208_ALREADY_REPORTED: Final = 208
HTTP_226_IM_USED: Final = 226
HTTP_300_MULTIPLE_CHOICES: Final = 300
HTTP_301_MOVED_PERMANENTLY: Final = 301
HTTP_302_FOUND: Final = 302
HTTP_303_SEE_OTHER: Final = 303
HTTP_304_NOT_MODIFIED: Final = 304
HTTP_305_USE_PROXY: Final = 305
HTTP_306_RESERVED: Final = 306
HTTP_307_TEMPORARY_REDIRECT: Final = 307
HTTP_308_PERMANENT_REDIRECT: Final = 308
HTTP_400_BAD_REQUEST: Final = 400
HTTP_401_UNAUTHORIZED: Final = 401
HTTP_402_PAYMENT_REQUIRED: Final = 402
HTTP_403_FORBIDDEN: Final = 403
HTTP_404_NOT_FOUND: Final = 404
HTTP_405_METHOD_NOT_ALLOWED: Final = 405
HTTP_406_NOT_ACCEPTABLE: Final = 406
HTTP_407_PROXY_AUTHENTICATION_REQUIRED: Final = 407
HTTP_408_REQUEST_TIMEOUT: Final = 408
HTTP_409_CONFLICT: Final = 409
HTTP_410_GONE: Final = 410
HTTP_411_LENGTH_REQUIRED: Final = 411
HTTP_412_PRECONDITION_FAILED: Final = 412
HTTP_413_REQUEST_ENTITY_TOO_LARGE: Final = 413
HTTP_414_REQUEST_URI_TOO_LONG: Final = 414
HTTP_415_UNSUPPORTED_MEDIA_TYPE: Final = 415
HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE: Final = 416
HTTP_417_EXPECTATION_FAILED: Final = 417
HTTP_418_IM_A_TEAPOT: Final = 418
HTTP_421_MISDIRECTED_REQUEST: Final = 421
HTTP_422_UNPROCESSABLE_ENTITY: Final = 422
HTTP_423_LOCKED: Final = 423
HTTP_424_FAILED_DEPENDENCY: Final = 424
HTTP_425_TOO_EARLY: Final = 425
HTTP_426_UPGRADE_REQUIRED: Final = 426
HTTP_428_PRECONDITION_REQUIRED: Final = 428
HTTP_429_TOO_MANY_REQUESTS: Final = 429
HTTP_431_REQUEST_HEADER_FIELDS_TOO_LARGE: Final = 431
HTTP_451_UNAVAILABLE_FOR_LEGAL_REASONS: Final = 451
HTTP_500_INTERNAL_SERVER_ERROR: Final = 500
HTTP_501_NOT_IMPLEMENTED: Final = 501
HTTP_502_BAD_GATEWAY: Final = 502
HTTP_503_SERVICE_UNAVAILABLE: Final = 503
HTTP_504_GATEWAY_TIMEOUT: Final = 504
HTTP_505_HTTP_VERSION_NOT_SUPPORTED: Final = 505
HTTP_506_VARIANT_ALSO_NEGOTIATES: Final = 506
HTTP_507_INSUFFICIENT_STORAGE: Final = 507
HTTP_508_LOOP_DETECTED: Final = 508
HTTP_510_NOT_EXTENDED: Final = 510
HTTP_511_NETWORK_AUTHENTICATION_REQUIRED: Final = 511


def is_informational(status_code: int) -> bool:
    """1xx."""
    return 100 <= status_code < 200


def is_success(status_code: int) -> bool:
    """2xx."""
    return 200 <= status_code < 300


def is_redirect(status_code: int) -> bool:
    """3xx."""
    return 300 <= status_code < 400


def is_client_error(status_code: int) -> bool:
    """4xx."""
    return 400 <= status_code < 500


def is_server_error(status_code: int) -> bool:
    """5xx."""
    return 500 <= status_code < 600


def is_error(status_code: int) -> bool:
    """4xx or 5xx."""
    return 400 <= status_code < 600

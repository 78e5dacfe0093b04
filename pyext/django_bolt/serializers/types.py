"""Ready-made constrained types for Serializer (and Struct) fields, as django-bolt names them.

Each is ``Annotated[base, Meta(...)]``: the constraints are checked in Rust while a body is
decoded (a 422 at the field otherwise), and shown in the OpenAPI schema.

>>> class Signup(Serializer):
...     email: Email
...     age: PositiveInt
"""

from __future__ import annotations

from typing import Annotated

from ..constraints import Meta

_EMAIL = r"^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$"
_URL = r"^https?://[^\s/$.?#].[^\s]*$"
_HTTPS_URL = r"^https://[^\s/$.?#].[^\s]*$"
_SLUG = r"^[-a-zA-Z0-9_]+$"
_UUID = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
_IPV4 = r"^(?:(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)\.){3}(?:25[0-5]|2[0-4][0-9]|[01]?[0-9][0-9]?)$"
_IPV6 = (
    r"^(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}$"
    r"|^::(?:[0-9a-fA-F]{1,4}:){0,5}[0-9a-fA-F]{1,4}$"
    r"|^(?:[0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}$"
)


def _chars(n: int) -> object:
    return Annotated[str, Meta(max_length=n, description=f"at most {n} characters")]


# Strings by length.
Char50 = _chars(50)
Char100 = _chars(100)
Char150 = _chars(150)
Char200 = _chars(200)
Char255 = _chars(255)
Char500 = _chars(500)
Char1000 = _chars(1000)
Text = Annotated[str, Meta(description="text of any length")]
NonEmptyStr = Annotated[str, Meta(min_length=1, description="at least one character")]

# Strings with a format.
Email = Annotated[str, Meta(max_length=254, pattern=_EMAIL, description="an email address", example="user@example.com")]
URL = Annotated[str, Meta(max_length=200, pattern=_URL, description="an http(s) URL", example="https://example.com")]
HttpsURL = Annotated[str, Meta(max_length=200, pattern=_HTTPS_URL, description="an https URL")]
Slug = Annotated[str, Meta(max_length=50, pattern=_SLUG, description="letters, digits, - and _")]
Slug100 = Annotated[str, Meta(max_length=100, pattern=_SLUG, description="letters, digits, - and _")]
Slug200 = Annotated[str, Meta(max_length=200, pattern=_SLUG, description="letters, digits, - and _")]
UUID = Annotated[str, Meta(pattern=_UUID, description="a UUID in its text form (uuid.UUID decodes to the object)")]
FilePath = Annotated[str, Meta(max_length=100, description="a file path")]
Username = Annotated[str, Meta(max_length=150, pattern=r"^[\w.@+-]+$", description="a Django username")]
Password = Annotated[str, Meta(min_length=8, max_length=128, description="8 to 128 characters")]
Phone = Annotated[str, Meta(max_length=20, pattern=r"^\+?[1-9]\d{1,14}$", description="an E.164 phone number")]
HexColor = Annotated[str, Meta(pattern=r"^#[0-9a-fA-F]{6}$", description="#rrggbb")]
CurrencyCode = Annotated[str, Meta(min_length=3, max_length=3, pattern=r"^[A-Z]{3}$", description="ISO 4217")]
CountryCode = Annotated[str, Meta(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]
LanguageCode = Annotated[
    str, Meta(min_length=2, max_length=5, pattern=r"^[a-z]{2}(?:-[A-Z]{2})?$", description="en or en-US")
]
Timezone = Annotated[
    str, Meta(max_length=50, pattern=r"^[A-Za-z_]+/[A-Za-z_]+(?:/[A-Za-z_]+)?$|^UTC$", description="an IANA zone")
]

# Network.
IPv4 = Annotated[str, Meta(pattern=_IPV4, description="an IPv4 address")]
IPv6 = Annotated[str, Meta(pattern=_IPV6, description="an IPv6 address")]
IP = Annotated[str, Meta(pattern=f"{_IPV4}|{_IPV6}", description="an IPv4 or IPv6 address")]
Port = Annotated[int, Meta(ge=1, le=65535, description="a TCP/UDP port")]
HttpStatus = Annotated[int, Meta(ge=100, le=599, description="an HTTP status code")]

# Integers by the range of the database column.
SmallInt = Annotated[int, Meta(ge=-32768, le=32767)]
Int = Annotated[int, Meta(ge=-2147483648, le=2147483647)]
BigInt = Annotated[int, Meta(ge=-9223372036854775808, le=9223372036854775807)]
PositiveSmallInt = Annotated[int, Meta(ge=0, le=32767)]
PositiveInt = Annotated[int, Meta(gt=0, description="greater than 0")]
PositiveBigInt = Annotated[int, Meta(ge=0, le=9223372036854775807)]
NonNegativeInt = Annotated[int, Meta(ge=0, description="0 or more")]

# Floats.
Float = Annotated[float, Meta(description="a number")]
PositiveFloat = Annotated[float, Meta(ge=0, description="0 or more")]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Percentage = Annotated[float, Meta(ge=0, le=100)]
Rating = Annotated[float, Meta(ge=0, le=5)]
Rating10 = Annotated[float, Meta(ge=0, le=10)]

__all__ = [n for n in list(globals()) if n[:1].isupper() and n != "Annotated" and n != "Meta"]

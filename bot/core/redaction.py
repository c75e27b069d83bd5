"""Secrets kept out of messages: a database URL is shown with its password replaced."""

from __future__ import annotations

import re

HIDDEN = "***"

_PASSWORD_PARAMETER = re.compile(r"(?i)([?&]password=)[^&#]*")


def url_without_password(url: str) -> str:
    """`url` with any password replaced by `***`: the one in `user:password@` (which may hold
    `@`, `/` or `:` itself, so everything up to the last `@` counts) and a `password=` query
    parameter. Works on text that is no valid URL too: it is for error messages about those."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest:
        userinfo, _, host = rest.rpartition("@")
        user, colon, _password = userinfo.partition(":")
        rest = f"{user}:{HIDDEN}@{host}" if colon else f"{userinfo}@{host}"
        url = f"{scheme}{sep}{rest}"
    return _PASSWORD_PARAMETER.sub(rf"\g<1>{HIDDEN}", url)

"""The token a login answers (MidoNet's Token-v1) and its cookie.

`POST /login` answers `{key, expires}` and sets the `sessionId` cookie to the key;
later requests carry the key in `X-Auth-Token` or that cookie.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

COOKIE = "sessionId"


@dataclass(frozen=True, slots=True)
class Token:
    key: str
    expires: dt.datetime | None = None

    def expires_text(self) -> str | None:
        """MidoNet's cookie date format (HttpSupport.SET_COOKIE_EXPIRES_FORMAT)."""
        if self.expires is None:
            return None
        return self.expires.astimezone(dt.UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")

    def to_json(self) -> dict[str, str | None]:
        return {"key": self.key, "expires": self.expires_text()}

    def cookie(self) -> str:
        """The Set-Cookie value: `sessionId=<key>[; Expires=<date>]`."""
        text = f"{COOKIE}={self.key}"
        expires = self.expires_text()
        return f"{text}; Expires={expires}" if expires else text

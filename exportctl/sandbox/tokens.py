"""Download tokens: the `token` of `result.url`, shaped like the real API's JWT and valid for a while.

A token is `header.payload.signature` in base64url without padding, the payload
`{"tenant", "exportId", "iat", "exp"}` (seconds since the epoch, to the millisecond), signed with
HMAC-SHA256 (`HS256`). The key is a secret made per sandbox plus a key of the export's own, so that a
token fits one export of one sandbox, and rotating an export's key (the refuse-token fault) voids every
URL minted for it before. Every GET of a DONE export mints a new token, as the real API does; none is
stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

DEFAULT_TTL = 15 * 60.0  # what the real API's download tokens last
_HEADER = {"alg": "HS256", "typ": "JWT"}


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_export_key() -> bytes:
    """A key of one export's own, mixed into its tokens' signing key."""
    return secrets.token_bytes(16)


class DownloadTokens:
    """Mints and checks the download tokens of one sandbox."""

    def __init__(
        self,
        tenant: str,
        ttl: float = DEFAULT_TTL,
        *,
        secret: bytes | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not ttl > 0:
            raise ValueError("token_ttl must be greater than 0")
        self.tenant = tenant
        self.ttl = ttl
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._clock = clock

    def _sign(self, signed_part: str, export_key: bytes) -> str:
        return _encode(hmac.new(self._secret + export_key, signed_part.encode("ascii"), hashlib.sha256).digest())

    def mint(self, export_id: str, export_key: bytes) -> str:
        """A token for one export, valid `ttl` seconds from now."""
        issued = round(self._clock(), 3)
        claims = {"tenant": self.tenant, "exportId": export_id, "iat": issued, "exp": round(issued + self.ttl, 3)}
        signed_part = _encode(json.dumps(_HEADER, separators=(",", ":")).encode()) + "."
        signed_part += _encode(json.dumps(claims, separators=(",", ":")).encode())
        return f"{signed_part}.{self._sign(signed_part, export_key)}"

    def problem(self, token: str, export_id: str, export_key: bytes) -> str | None:
        """Why `token` does not open this export's file (the 401's details), or None when it does."""
        parts = token.split(".")
        if len(parts) != 3:
            return "Missing or invalid download token"
        claims = _claims(parts[1])
        if claims is None:
            return "Missing or invalid download token"
        if claims.get("exportId") != export_id:
            return "The download token belongs to another export"
        expected = self._sign(f"{parts[0]}.{parts[1]}", export_key)
        if not hmac.compare_digest(parts[2].encode("ascii", "replace"), expected.encode("ascii")):
            return "Missing or invalid download token"
        if claims.get("tenant") != self.tenant:
            return "Missing or invalid download token"
        expires = claims.get("exp")
        if not isinstance(expires, (int, float)) or self._clock() >= expires:
            return "The download token has expired; get the export again for a fresh URL"
        return None


def _claims(payload: str) -> dict[str, Any] | None:
    try:
        claims = json.loads(_decode(payload))
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None

"""Keep secrets out of everything a person or a log sees: secret keys, and download tokens in URLs.

Standard library only, so that reporters and error rendering can use it without any import cost.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

# Query parameters that authorise a request on their own. Voucherify's download URLs carry `token`;
# the others are the usual spellings, masked too so that a dedicated cluster's URL cannot leak one.
_TOKEN_PARAMETER = re.compile(
    r"(?P<name>(?<![A-Za-z0-9_])(?:token|access_token|api_key|apikey|app_token|secret|signature)=)(?P<value>[^&#\s\"'<>]+)",
    re.IGNORECASE,
)

# `user:password@` (or a bare `token@`) in a URL authorises on its own, like a token parameter.
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/?#@\s\"'<>]+@")

# A secret shorter than this is not masked inside other text: masking "a" would garble every message,
# and no real key is that short.
MIN_SECRET_LENGTH = 4


def mask_url(text: str) -> str:
    """`text` with every token-like query parameter and URL user info masked (`token=***`, `https://***@host`).

    Works on a bare URL and on any text that contains URLs, such as an error message.
    """
    text = _USERINFO.sub(lambda match: match.group("scheme") + MASK + "@", text)
    return _TOKEN_PARAMETER.sub(lambda match: match.group("name") + MASK, text)


def mask(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every occurrence of each secret, and every URL token, replaced by `***`."""
    # Longest first, so that a secret containing another one is masked whole.
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return mask_url(text)


# C0 and C1 controls, DEL, the line and paragraph separators (U+2028, U+2029: a line break to many log
# readers and to str.splitlines), and the bidirectional overrides that reorder what a terminal shows: a
# server string with one of them could forge log lines, recolour or retitle the terminal, or disguise an
# id. Lone surrogates (undecodable bytes of argv or a file) cannot be written to a UTF-8 stream at all.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def printable(text: str) -> str:
    r"""`text` safe for a terminal or a log line: every control character shown as an escape (`\x1b`)."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)

"""Keep secrets out of everything a person or a log sees: secret keys, and download tokens in URLs.

Standard library only, so that reporters and error rendering can use it without any import cost. The
patterns are strings that `re` compiles on first use and caches: compiling them costs more than a dry run
prints, and most texts never need them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

# Query parameters that authorise a request on their own. Voucherify's download URLs carry `token`;
# the others are the usual spellings, masked too so that a dedicated cluster's URL cannot leak one.
_TOKEN_PARAMETER = (
    r"(?i)(?P<name>(?<![A-Za-z0-9_])(?:token|access_token|api_key|apikey|app_token|secret|signature)=)"
    r"(?P<value>[^&#\s\"'<>]+)"
)

# `user:password@` (or a bare `token@`) in a URL authorises on its own, like a token parameter. The user
# info ends at the LAST `@` before the path, as a URL parser reads it: a password may hold an unencoded `@`.
_USERINFO = r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/?#\s\"'<>]*@"

# A secret shorter than this is not masked inside other text: masking "a" would garble every message,
# and no real key is that short.
MIN_SECRET_LENGTH = 4


def mask_url(text: str) -> str:
    """`text` with every token-like query parameter and URL user info masked (`token=***`, `https://***@host`).

    Works on a bare URL and on any text that contains URLs, such as an error message.
    """
    if "=" not in text and "@" not in text:
        return text  # neither pattern can match
    text = mask_userinfo(text)
    return re.sub(_TOKEN_PARAMETER, lambda match: match.group("name") + MASK, text)


def mask_userinfo(text: str) -> str:
    """`text` with the user info of every URL in it masked (`http://***@host`): a password is never shown.

    Every line meant for a person goes through this (console.py), whatever built the message.
    """
    if "@" not in text or "://" not in text:
        return text
    return re.sub(_USERINFO, lambda match: match.group("scheme") + MASK + "@", text)


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
_CONTROL = r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"


def printable(text: str) -> str:
    r"""`text` safe for a terminal or a log line: every control character shown as an escape (`\x1b`)."""
    # Each character of _CONTROL is one that str.isprintable() refuses (categories Cc, Cf, Cs, Zl, Zp), so a
    # printable text has none of them: most texts take this path and never compile the pattern.
    if text.isprintable():
        return text
    return re.sub(
        _CONTROL, lambda match: match.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text
    )

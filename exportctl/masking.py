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

# A secret shorter than this is not masked inside other text: masking "a" would garble every message,
# and no real key is that short.
MIN_SECRET_LENGTH = 4


def mask_url(text: str) -> str:
    """`text` with the value of every token-like query parameter replaced by `***` (`token=abc` -> `token=***`).

    Works on a bare URL and on any text that contains URLs, such as an error message.
    """
    return _TOKEN_PARAMETER.sub(lambda match: match.group("name") + MASK, text)


def mask(text: str, secrets: Iterable[str | None]) -> str:
    """`text` with every occurrence of each secret, and every URL token, replaced by `***`."""
    # Longest first, so that a secret containing another one is masked whole.
    for secret in sorted({s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return mask_url(text)

"""Answers that waiting or retrying will not change: credentials of another cluster, and spent quotas.

Both are decided from the status, the error's `key` and the headers, here, so that every call (the
client's, `login`'s and `doctor`'s unretried probes) says the same thing.

The URL a `wrong_api_endpoint` answer names is the server's text: it is shown only when it is a plain
https URL of a plausible host name, and never followed.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from exportctl.errors import QuotaError, WrongClusterError
from exportctl.masking import mask_userinfo

WRONG_CLUSTER_KEY = "wrong_api_endpoint"
CYCLE_LIMIT_TYPE = "api_calls_cycle"
PLAN_LIMIT = "plan"
# Long enough for any real host name; a longer "URL" in a details text is not one to show.
MAX_URL_LENGTH = 200
_URL_IN_TEXT = r"https?://[^\s\"'<>]+"
_HOST_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_TOP_LABEL = r"[a-z]{2,63}"


def is_wrong_cluster(status: int, key: str | None, message: str | None = None) -> bool:
    """Whether an answer says the credentials belong to another cluster.

    Documented as 403 with the key `wrong_api_endpoint` (message "Wrong API endpoint"); the one body on
    record is from 2022, so a 401 saying the same, another case, or the message without the key count too.
    """
    if status not in (401, 403):
        return False
    said = (key or "").strip().lower() == WRONG_CLUSTER_KEY
    return said or (message or "").strip().lower() == "wrong api endpoint"


def named_base_url(details: str | None) -> str | None:
    """The base URL a `wrong_api_endpoint` answer names, as `https://host`, or None.

    Only a plain https URL of a plausible DNS name is taken: no user info, port, query, fragment or path,
    no IP address, lower-case letters, digits and hyphens in each label, a top-level label of letters.
    """
    if not details:
        return None
    found = re.search(_URL_IN_TEXT, details)
    if found is None:
        return None
    text = found.group(0).rstrip(".,;:)]}")
    if len(text) > MAX_URL_LENGTH or not text.isascii():
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme != "https" or port is not None or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    if parts.path not in ("", "/"):
        return None
    host = parts.netloc.lower()
    labels = host.split(".")
    if len(labels) < 2 or len(host) > 253:
        return None
    if not all(re.fullmatch(_HOST_LABEL, label) for label in labels[:-1]):
        return None
    if not re.fullmatch(_TOP_LABEL, labels[-1]):
        return None
    return f"https://{host}"


def region_of(base_url: str) -> str | None:
    """The `--region` name of a base URL, when it is one of the public clusters."""
    from exportctl.settings import REGIONS

    return next((name for name, (api, _) in REGIONS.items() if api == base_url.rstrip("/")), None)


def option_for(base_url: str) -> str:
    """The global option that points exportctl at `base_url`: `--region us1`, else `--api-url URL`."""
    region = region_of(base_url)
    return f"--region {region}" if region else f"--api-url {base_url}"


def wrong_cluster_error(base_url: str, details: str | None, *, profile: str | None = None) -> WrongClusterError:
    """The error of a 403 `wrong_api_endpoint`: which base URL the project belongs to, and the option that fixes it."""
    from exportctl.settings import REGIONS

    current = mask_userinfo(base_url)
    right = named_base_url(details)
    login = "exportctl login" + (f" --profile {profile}" if profile and profile != "default" else "")
    if right is None:
        regions = "|".join(REGIONS)
        return WrongClusterError(
            f"These credentials belong to a Voucherify project on another cluster: {current} answered "
            "403 wrong_api_endpoint without a plain https URL of the right one (whatever it named is not shown).",
            hint=f"Give the project's cluster with --region {regions} (or --api-url URL for a dedicated one), "
            f"or save it: {login} --region REGION",
        )
    option = option_for(right)
    return WrongClusterError(
        f"These credentials belong to a Voucherify project on another cluster: {current} answered "
        f"403 wrong_api_endpoint; the project is bound to {right}.",
        hint=f"Add {option} to the command (e.g. exportctl {option} list), or save it in the profile: {login} {option}",
        right_url=right,
    )


def quota_limit(status: int, headers: Mapping[str, str]) -> str | None:
    """`plan` for a 402, `api_calls_cycle` for a 429 of that type: the quotas that waiting minutes will not clear."""
    if status == 402:
        return PLAN_LIMIT
    if status == 429 and (headers.get("X-Rate-Limit-Type") or "").strip().lower() == CYCLE_LIMIT_TYPE:
        return CYCLE_LIMIT_TYPE
    return None


def reset_time(limit: str, headers: Mapping[str, str], now: float) -> float | None:
    """When a spent quota resets (epoch seconds), where the headers say; None if they do not, or name a past time.

    `X-Rate-Limit-Retry` (an epoch) counts for the cycle limit only: every answer carries it for the per-minute
    (or hourly) window, so on a 402 it says nothing about the plan's limit. `Retry-After` (seconds or a date)
    counts for both, when no epoch was given.
    """
    from email.utils import parsedate_to_datetime

    from exportctl.client.retry import epoch_header

    if limit == CYCLE_LIMIT_TYPE:
        retry_at = epoch_header(headers, "X-Rate-Limit-Retry")
        if retry_at is not None and retry_at > now:
            return retry_at
    after = (headers.get("Retry-After") or "").strip()
    at: float | None = None
    try:
        at = now + float(after)
    except ValueError:
        with contextlib.suppress(TypeError, ValueError, IndexError, OverflowError):
            at = parsedate_to_datetime(after).timestamp()
    return at if at is not None and math.isfinite(at) and at > now else None


def quota_error(
    limit: str,
    status: int,
    key: str | None,
    server_text: str,
    headers: Mapping[str, str],
    *,
    request: str,
    now: float,
    request_id: str | None = None,
) -> QuotaError:
    """The error of a spent quota: which limit, what the API said, and when it resets where the headers say."""
    from exportctl.client.retry import utc_clock

    resets_at = reset_time(limit, headers, now)
    if limit == PLAN_LIMIT:
        what = f"the pricing plan's limit is exceeded ({status} Payment Required)"
        fix = "Raise the plan's limit in Voucherify, or wait for it to reset"
    else:
        what = f"the project's API-calls limit for this billing cycle is spent ({status}, {CYCLE_LIMIT_TYPE})"
        fix = "Wait for the next billing cycle, or raise the plan's limit in Voucherify"
    when = f" It resets at {utc_clock(resets_at)}." if resets_at is not None else " The API did not say when it resets."
    text = f"{request}: {what}: {server_text}.{when}"
    return QuotaError(
        status,
        key,
        text,
        limit=limit,
        resets_at=resets_at,
        request_id=request_id,
        hint=f"{fix}; retrying sooner fails the same way, so exportctl did not wait.",
    )

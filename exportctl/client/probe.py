"""One unretried request each, for `exportctl doctor` and `exportctl login`: what the API and the download host say.

Doctor must report a failing API as failing, not wait out retries, and must see the raw headers
(`Date`, `X-Rate-Limit-Remaining`) that `ApiClient` folds into its state; so these are plain requests.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import requests

from exportctl.errors import QuotaError, WrongClusterError
from exportctl.masking import mask
from exportctl.settings import Settings
from exportctl.version import USER_AGENT

PROBE_TIMEOUT = (5.0, 15.0)
# An error body worth reading is a small JSON object; a larger one is not read past this.
MAX_ERROR_BODY = 16_384


@dataclass(frozen=True)
class ProbeAnswer:
    """An HTTP answer (status and headers), or the reason there was none."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why nothing was answered: refused, timed out, DNS...
    body: bytes = b""  # the start of an error answer's body (status >= 400), for its key and details


def probe_api(settings: Settings, timeout: tuple[float, float] = PROBE_TIMEOUT) -> ProbeAnswer:
    """GET /v1/exports?limit=1 with the credentials: the cheapest call that proves they work."""
    headers = {
        "X-App-Id": settings.app_id,
        "X-App-Token": settings.app_token,
        "User-Agent": USER_AGENT,
        "Accept": "application/json",
    }
    return _get(f"{settings.base_url.rstrip('/')}/v1/exports", headers, {"limit": "1"}, timeout)


def probe_host(url: str, timeout: tuple[float, float] = PROBE_TIMEOUT) -> ProbeAnswer:
    """GET `url` without credentials: any HTTP answer proves the host is reachable."""
    return _get(url, {"User-Agent": USER_AGENT}, None, timeout)


def _get(url: str, headers: dict[str, str], params: dict[str, str] | None, timeout: tuple[float, float]) -> ProbeAnswer:
    try:
        with requests.get(
            url, headers=headers, params=params, timeout=timeout, allow_redirects=False, stream=True
        ) as response:
            body = response.raw.read(MAX_ERROR_BODY, decode_content=True) if response.status_code >= 400 else b""
            return ProbeAnswer(response.status_code, dict(response.headers), body=body or b"")
    except requests.exceptions.ConnectionError as exc:
        return ProbeAnswer(None, problem=f"cannot connect ({_reason(exc)})")
    except requests.exceptions.Timeout:
        return ProbeAnswer(None, problem=f"no answer within {timeout[1]:g} s")
    except requests.exceptions.RequestException as exc:
        return ProbeAnswer(None, problem=_reason(exc))


def _reason(exc: Exception) -> str:
    text = str(exc)
    for known in ("Connection refused", "Name or service not known", "No route to host", "timed out"):
        if known in text:
            return known.lower()
    return type(exc).__name__


def lasting_refusal(
    answer: ProbeAnswer, settings: Settings, now: float | None = None
) -> WrongClusterError | QuotaError | None:
    """What `login` and `doctor` must say as the client would: another cluster's credentials, or a spent quota."""
    from exportctl.client.refusals import is_wrong_cluster, quota_error, quota_limit, wrong_cluster_error

    if answer.status is None:
        return None
    fields = _error_fields(answer.body)
    key, message, details = (_text(fields.get(name)) for name in ("key", "message", "details"))
    details = mask(details, (settings.app_token,)) if details else None
    if is_wrong_cluster(answer.status, key, message):
        return wrong_cluster_error(settings.base_url, details, profile=settings.profile)
    headers = requests.structures.CaseInsensitiveDict(answer.headers)
    limit = quota_limit(answer.status, headers)
    if limit is None:
        return None
    text = f"{key}: {message}" if key and message else message or key or f"HTTP {answer.status}"
    if details:
        text += f" ({details})"
    return quota_error(
        limit,
        answer.status,
        key,
        mask(text, (settings.app_token,)),
        headers,
        request="GET /v1/exports",
        now=time.time() if now is None else now,
    )


def _error_fields(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)[:500]

"""One unretried request each, for `exportctl doctor` and `exportctl login`: what the API and the download host say.

Doctor must report a failing API as failing, not wait out retries, and must see the raw headers
(`Date`, `X-Rate-Limit-Remaining`) that `ApiClient` folds into its state; so these are plain requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import requests

from exportctl import __version__
from exportctl.settings import Settings

PROBE_TIMEOUT = (5.0, 15.0)


@dataclass(frozen=True)
class ProbeAnswer:
    """An HTTP answer (status and headers), or the reason there was none."""

    status: int | None
    headers: dict[str, str] = field(default_factory=dict)
    problem: str | None = None  # why nothing was answered: refused, timed out, DNS...


def probe_api(settings: Settings, timeout: tuple[float, float] = PROBE_TIMEOUT) -> ProbeAnswer:
    """GET /v1/exports?limit=1 with the credentials: the cheapest call that proves they work."""
    headers = {
        "X-App-Id": settings.app_id,
        "X-App-Token": settings.app_token,
        "User-Agent": f"exportctl/{__version__}",
        "Accept": "application/json",
    }
    return _get(f"{settings.base_url.rstrip('/')}/v1/exports", headers, {"limit": "1"}, timeout)


def probe_host(url: str, timeout: tuple[float, float] = PROBE_TIMEOUT) -> ProbeAnswer:
    """GET `url` without credentials: any HTTP answer proves the host is reachable."""
    return _get(url, {"User-Agent": f"exportctl/{__version__}"}, None, timeout)


def _get(url: str, headers: dict[str, str], params: dict[str, str] | None, timeout: tuple[float, float]) -> ProbeAnswer:
    try:
        with requests.get(url, headers=headers, params=params, timeout=timeout, allow_redirects=False) as response:
            return ProbeAnswer(response.status_code, dict(response.headers))
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

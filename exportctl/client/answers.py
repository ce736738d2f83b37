"""What a failed API answer means: the typed error, its message and details, with every secret masked."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import requests

from exportctl.client.refusals import is_wrong_cluster, quota_error, wrong_cluster_error
from exportctl.errors import ApiError, AuthError, DownloadTokenError, NotFoundError, QuotaError
from exportctl.masking import mask


def error_for(
    response: requests.Response,
    shown: str,
    *,
    download: bool,
    secrets: Sequence[str],
    source: str,
    base_url: str = "",
    profile: str | None = None,
) -> ApiError | AuthError:
    """The typed error of a failed answer: AuthError for 401, NotFoundError for 404, else ApiError.

    A 403 is not about the credentials (the real API answers it for, e.g., transactions of a discount
    campaign): it is the API refusing this request, shown as its `key: message (details)`. Except a 403
    `wrong_api_endpoint`: the credentials belong to another cluster, a WrongClusterError (an AuthError)
    naming the base URL the project is bound to (`base_url` is the one in use) and the option that fixes it.
    """
    status = response.status_code
    key, message, details, request_id = error_fields(response, secrets)
    if is_wrong_cluster(status, key, message):
        return wrong_cluster_error(base_url or shown, details, profile=profile)
    if status == 401:
        text = ApiError(status, key, message, details, request_id).message
        if download:
            return DownloadTokenError(f"The download URL's token was refused: {text}")
        return AuthError(
            f"The API refused the credentials ({status}): {text}",
            hint=f"Check the application ID and secret key (from {source}).",
        )
    if status == 404:
        if key is None:
            message = f"{message} from {shown}; this does not look like the Voucherify API"
        return NotFoundError(status, key, message, details, request_id)
    return ApiError(status, key, message, details, request_id)


def quota_error_for(
    response: requests.Response, limit: str, request: str, secrets: Sequence[str], now: float
) -> QuotaError:
    """The error of an answer that says a quota is spent (`refusals.quota_limit`): never retried."""
    key, _, _, request_id = error_fields(response, secrets)
    text = error_text(response, secrets)
    return quota_error(
        limit, response.status_code, key, text, response.headers, request=request, now=now, request_id=request_id
    )


def error_fields(response: requests.Response, secrets: Sequence[str]) -> tuple[str | None, str, str | None, str | None]:
    """key, message, details, request_id of an error answer; a plain status line when it is not JSON."""
    try:
        data = response.json()
    except ValueError:
        data = None
    fallback = f"HTTP {response.status_code} {response.reason or ''}".strip()
    if not isinstance(data, dict):
        snippet = body_snippet(response, secrets)
        return None, fallback, snippet or None, response.headers.get("X-Request-Id")
    key = _text(data.get("key"))
    message = _text(data.get("message")) or fallback
    details = _text(data.get("details"))
    request_id = _text(data.get("request_id")) or response.headers.get("X-Request-Id")
    return (
        key,
        mask(message, secrets),
        mask(details, secrets) if details else None,
        request_id,
    )


def error_text(response: requests.Response, secrets: Sequence[str]) -> str:
    """The one-line message of a failed answer, secrets masked."""
    key, message, details, request_id = error_fields(response, secrets)
    return ApiError(response.status_code, key, message, details, request_id).message


def body_snippet(response: requests.Response, secrets: Sequence[str], limit: int = 200) -> str:
    """The start of a body that is not the API's JSON, on one line, secrets masked."""
    try:
        text = response.text
    except (requests.RequestException, OSError, UnicodeError):
        return ""
    text = " ".join(text.split())
    text = text if len(text) <= limit else text[:limit] + "…"
    return mask(text, secrets)


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

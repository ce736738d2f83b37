"""The sandbox's API errors: raised anywhere below the dispatcher, answered in the Voucherify shape."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answer, raised anywhere below the dispatcher."""

    def __init__(
        self, status: int, key: str, message: str, details: str | None = None, *, bare: bool = False, **extra: Any
    ) -> None:
        super().__init__(details or message)
        self.status = status
        self.key = key
        self.message = message
        self.details = details
        self.bare = bare  # only code, message and key in the body
        self.extra = extra
        self.headers: dict[str, str] = {}


def not_found(kind: str, resource_id: str) -> ApiError:
    return ApiError(
        404,
        "not_found",
        "Resource not found",
        f"Cannot find {kind} with id {resource_id}",
        resource_id=resource_id,
        resource_type=kind,
    )

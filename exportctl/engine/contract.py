"""The keys every `--json` document starts with, null where they do not apply (README, "The JSON contract").

A module of its own, with no dataclass: the CLI's `--json` (cli/json_contract.py) starts its document from
it on every command, dry runs too, which must not pay for more.
"""

from __future__ import annotations

from typing import Any

CONTRACT_KEYS = (
    "export_id",
    "object",
    "exported_object",
    "status",
    "exit_code",
    "error",
    "hint",
    "output",
    "bytes",
    "rows",
    "sha256",
    "seconds",
    "api_calls",
)


def blank(command: str, **values: Any) -> dict[str, Any]:
    """A document of `command` with every contract key, null unless given; exit_code 0."""
    document: dict[str, Any] = dict.fromkeys(CONTRACT_KEYS)
    document |= {"object": command, "exit_code": 0}
    document |= values
    return document

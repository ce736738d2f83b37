"""Write one profile into the profile file (`exportctl login`), readable by its owner only.

The file is created with mode 0600 from its first byte (never chmod-ed after a window of 0644), written
to a temporary file and renamed, so a crash leaves the old file or the new one. Other profiles are kept.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from exportctl.errors import ConfigError, OutputError

OWNER_ONLY = 0o600


def save_profile(path: Path, name: str, values: dict[str, str]) -> bool:
    """Set profile `name` to `values` in the file at `path`; True when it became the default profile."""
    import yaml

    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigError(f"cannot read the profile file to update it: {exc}", path=str(path)) from None
        if isinstance(loaded, dict):
            data = loaded
        elif loaded is not None:
            raise ConfigError("expected a mapping with 'default_profile' and 'profiles'", path=str(path))
    profiles = data.get("profiles")
    if not isinstance(profiles, dict):
        profiles = {}
    profiles[name] = dict(values)
    data["profiles"] = profiles
    became_default = not data.get("default_profile")
    if became_default:
        data["default_profile"] = name
    ordered = {"default_profile": data.pop("default_profile"), "profiles": data.pop("profiles"), **data}
    _write_owner_only(path, yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False))
    return became_default


def _write_owner_only(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        temporary.chmod(OWNER_ONLY)  # O_CREAT's mode does not apply to a leftover temporary file
        temporary.replace(path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise OutputError(f"Cannot write {path}: {exc.strerror or exc}.") from None

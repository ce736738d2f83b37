"""Write one profile into the profile file (`exportctl login`), readable by its owner only.

The update goes through `locked_update`: under a lock (concurrent logins all land), into the target of a
symbolic link (the link stays), through an exclusive temporary file of mode 0600 renamed into place, so a
crash leaves the old file or the new one. Other profiles are kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exportctl.errors import ConfigError
from exportctl.files.locked_update import update_owner_only
from exportctl.profile_reading import load_profile_yaml


def save_profile(path: Path, name: str, values: dict[str, str]) -> bool:
    """Set profile `name` to `values` in the file at `path`; True when it became the default profile."""
    became_default = False

    def change(current: str | None) -> str:
        nonlocal became_default
        import yaml

        data: dict[str, Any] = {}
        loaded = load_profile_yaml(current, str(path)) if current is not None else None
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
        return str(yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False))

    update_owner_only(path, change)
    return became_default

"""Write one profile into the profile file (`exportctl login`) or remove one (`exportctl auth logout`).

Every update goes through `locked_update`: under a lock (concurrent logins all land), into the target of a
symbolic link (the link stays), through an exclusive temporary file of mode 0600 renamed into place, so a
crash leaves the old file or the new one. Other profiles are kept. The checks that decide whether to write
(does the profile exist?) are made again under the lock, on the text as it is then: a refusal writes nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from exportctl.errors import ConfigError, UsageError, ValidationError
from exportctl.files.locked_update import update_owner_only
from exportctl.profile_reading import load_profile_yaml
from exportctl.suggest import closest


class ProfileExistsError(UsageError):
    """A login would replace a profile that exists, and replacing was not allowed (exit 2; nothing written)."""


def _data(current: str | None, path: Path) -> dict[str, Any]:
    loaded = load_profile_yaml(current, str(path)) if current is not None else None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError("expected a mapping with 'default_profile' and 'profiles'", path=str(path))
    return loaded


def _dump(data: dict[str, Any]) -> str:
    import yaml

    ordered: dict[str, Any] = {}
    if data.get("default_profile"):
        ordered["default_profile"] = data["default_profile"]
    ordered["profiles"] = data.get("profiles") or {}
    ordered |= {key: value for key, value in data.items() if key not in ("default_profile", "profiles")}
    return str(yaml.safe_dump(ordered, sort_keys=False, default_flow_style=False))


def existing_profile(path: Path, name: str) -> dict[str, Any] | None:
    """The values of profile `name` in the file at `path` as it is now, or None; ConfigError for a broken file."""
    from exportctl.profile_reading import read_profile_text

    profiles = _data(read_profile_text(path), path).get("profiles")
    found = profiles.get(name) if isinstance(profiles, dict) else None
    return dict(found) if isinstance(found, dict) else ({} if found is not None else None)


def save_profile(path: Path, name: str, values: dict[str, str], *, replace: bool = True) -> bool:
    """Set profile `name` to `values` in the file at `path`; True when it became the default profile.

    With `replace=False`, a profile of that name already in the file (checked under the lock) is a
    ProfileExistsError and the file is left as it was.
    """
    became_default = False

    def change(current: str | None) -> str:
        nonlocal became_default
        data = _data(current, path)
        profiles = data.get("profiles")
        if not isinstance(profiles, dict):
            profiles = {}
        if not replace and name in profiles:
            raise ProfileExistsError(
                f"Profile '{name}' already exists in {path}; nothing was saved.",
                hint=f"Replace it with: exportctl login --profile {name} --force",
            )
        profiles[name] = dict(values)
        data["profiles"] = profiles
        became_default = not data.get("default_profile")
        if became_default:
            data["default_profile"] = name
        return _dump(data)

    update_owner_only(path, change)
    return became_default


def remove_profile(path: Path, name: str) -> tuple[bool, list[str]]:
    """Remove profile `name` from the file at `path`: (whether it was the default, the profiles left).

    A missing profile (or file) is a ValidationError naming the profiles there are, with a did-you-mean;
    nothing is written then.
    """
    from exportctl.profile_reading import read_profile_text

    if read_profile_text(path) is None:
        raise UsageError(f"There is no profile file at {path}: no profile '{name}' to remove.")
    was_default = False
    left: list[str] = []

    def change(current: str | None) -> str:
        nonlocal was_default, left
        data = _data(current, path)
        profiles = data.get("profiles")
        if not isinstance(profiles, dict):
            profiles = {}
        names = sorted(str(key) for key in profiles)
        if name not in profiles:
            raise ValidationError(
                f"No profile '{name}' in {path}; nothing was removed.",
                valid=names,
                suggestion=_suggest(name, names),
            )
        del profiles[name]
        data["profiles"] = profiles
        was_default = data.get("default_profile") == name
        if was_default:
            data.pop("default_profile", None)
        left = sorted(str(key) for key in profiles)
        return _dump(data)

    update_owner_only(path, change)
    return was_default, left


def _suggest(name: str, names: list[str]) -> str | None:
    """The closest profile name, or the one name that `name` begins (prod for production)."""
    found = closest(name, names)
    if found is None and name:
        starting = [candidate for candidate in names if candidate.casefold().startswith(name.casefold())]
        found = starting[0] if len(starting) == 1 else None
    return found

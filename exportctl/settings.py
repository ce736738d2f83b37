"""Credentials and endpoints, most specific first: flags, then the environment, then a profile file.

The profile file is `$XDG_CONFIG_HOME/exportctl/config.yaml` (`~/.config/exportctl/config.yaml` by default):

    default_profile: live
    profiles:
      live:
        app_id: 8f1e...
        app_token: 5c2d...
        region: us1            # or api_url: https://dedicated.example.com
      staging:
        app_id: ...
        app_token: ...

The file is read only when it is needed: when a profile is named (`--profile` or `EXPORTCTL_PROFILE`), or
when flags and environment together do not give both the application ID and the secret key. So a broken
profile file never gets in the way of credentials given explicitly. When a profile is used, flags and
environment variables still override each of its values.

`EXPORTCTL_POLL_INTERVAL` (see `tuning.py`) is read here too, into `Settings.poll_interval`.

Standard library only at import time: `yaml` is imported when a file exists and must be parsed.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from exportctl.errors import AuthError, ConfigError, UsageError, ValidationError
from exportctl.masking import mask_userinfo
from exportctl.profile_reading import load_profile_yaml, read_profile_text, scan_profile_names
from exportctl.suggest import closest
from exportctl.tuning import DEFAULT_POLL_INTERVAL, check_poll_interval, poll_interval_from_environment

# region -> (API base URL, download base URL)
REGIONS: dict[str, tuple[str, str]] = {
    "eu": ("https://api.voucherify.io", "https://download.voucherify.io"),
    "us1": ("https://us1.api.voucherify.io", "https://us1.download.voucherify.io"),
    "as1": ("https://as1.api.voucherify.io", "https://as1.download.voucherify.io"),
}
DEFAULT_REGION = "eu"

ENV_APP_ID = "VOUCHERIFY_APP_ID"
ENV_APP_TOKEN = "VOUCHERIFY_APP_TOKEN"
ENV_SECRET_KEY = "VOUCHERIFY_SECRET_KEY"  # the name Voucherify's own SDKs use; an alias of ENV_APP_TOKEN
ENV_API_URL = "VOUCHERIFY_API_BASE_URL"
ENV_PROFILE = "EXPORTCTL_PROFILE"

PROFILE_KEYS = ("app_id", "app_token", "region", "api_url")
TOP_LEVEL_KEYS = ("default_profile", "profiles")


@dataclass(frozen=True)
class Settings:
    """Where to send requests and with which credentials; `source` says where they came from."""

    base_url: str
    app_id: str
    app_token: str = field(repr=False)  # never in a repr, a traceback or a log line
    profile: str | None = None
    source: str = "arguments"
    # The first wait between status polls, after a submit or a status change (EXPORTCTL_POLL_INTERVAL).
    poll_interval: float = DEFAULT_POLL_INTERVAL

    def __post_init__(self) -> None:
        # resolve_settings checked these already, naming their sources; this catches Settings(...) built by hand.
        check_credential(self.app_id, "application ID", "Settings(app_id=...)")
        check_credential(self.app_token, "secret key", "Settings(app_token=...)")
        object.__setattr__(self, "poll_interval", check_poll_interval(self.poll_interval, "poll_interval"))

    @classmethod
    def from_environment(cls, *, profile: str | None = None, config_path: Path | None = None) -> Settings:
        """What the CLI would use without flags: the environment, then the profile file."""
        return resolve_settings(profile=profile, config_path=config_path)


def default_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_CONFIG_HOME/exportctl/config.yaml`, or `~/.config/exportctl/config.yaml`."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CONFIG_HOME") or ""
    # The XDG spec says a relative value is invalid and must be ignored.
    root = Path(base) if base and Path(base).is_absolute() else Path.home() / ".config"
    return root / "exportctl" / "config.yaml"


def _ignore_warning(message: str) -> None:
    """The default `warn`: library callers who pass nothing hear nothing."""


def resolve_settings(
    *,
    app_id: str | None = None,
    app_token: str | None = None,
    api_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    config_path: Path | None = None,
    warn: Callable[[str], None] = _ignore_warning,
) -> Settings:
    """The settings for this run: flags > environment > profile file; AuthError or UsageError otherwise."""
    env = os.environ if environ is None else environ
    path = config_path if config_path is not None else default_config_path(env)
    poll_interval = poll_interval_from_environment(env)
    if api_url and region:
        raise UsageError("Give either --region or --api-url, not both.")
    if region is not None:
        _check_region(region, "--region")

    chosen_id = _first(app_id, env.get(ENV_APP_ID))
    chosen_token = _first(app_token, env.get(ENV_APP_TOKEN), env.get(ENV_SECRET_KEY))
    explicit_profile = _first(profile, env.get(ENV_PROFILE))
    id_source = "--app-id" if app_id else ENV_APP_ID
    token_source = "--app-token" if app_token else (ENV_APP_TOKEN if env.get(ENV_APP_TOKEN) else ENV_SECRET_KEY)

    if region:
        base_url: str | None = REGIONS[region][0]
    elif api_url:
        base_url = normalise_api_url(api_url, "--api-url")
    elif env.get(ENV_API_URL):
        base_url = normalise_api_url(env[ENV_API_URL], ENV_API_URL)
    else:
        base_url = None

    profile_name: str | None = None
    profile_values: dict[str, str] = {}
    if explicit_profile or not (chosen_id and chosen_token):
        config = _load_config(path, warn)
        if explicit_profile:
            if config is None:
                raise UsageError(f"Profile '{explicit_profile}' not found: there is no profile file at {path}.")
            profile_name = explicit_profile
        elif config is not None:
            profile_name = config.default_profile
        if profile_name is not None:
            assert config is not None  # a profile name only ever comes with a loaded file
            if profile_name not in config.profiles:
                names = sorted(config.profiles)
                raise ValidationError(
                    f"Unknown profile '{profile_name}' in {path}.",
                    valid=names,
                    suggestion=closest(profile_name, names),
                )
            profile_values = config.profiles[profile_name]

    final_id = chosen_id or profile_values.get("app_id")
    final_token = chosen_token or profile_values.get("app_token")
    if not final_id or not final_token:
        raise AuthError(_missing_credentials_message(final_id, final_token, path))
    in_profile = f"{path}: profile '{profile_name}'"
    check_credential(final_id, "application ID", id_source if chosen_id else in_profile)
    check_credential(final_token, "secret key", token_source if chosen_token else in_profile)

    if base_url is None:
        if "api_url" in profile_values:
            base_url = normalise_api_url(profile_values["api_url"], f"{path}: profile '{profile_name}' api_url")
        elif "region" in profile_values:
            base_url = REGIONS[profile_values["region"]][0]
        else:
            base_url = REGIONS[DEFAULT_REGION][0]

    sources = []
    sources.append(id_source if chosen_id else f"profile '{profile_name}'")
    sources.append(token_source if chosen_token else f"profile '{profile_name}'")
    source = ", ".join(dict.fromkeys(sources))
    return Settings(base_url, final_id, final_token, profile_name, source, poll_interval)


# Names for the characters people paste by accident; any other control character is named by its code point.
_CHARACTER_NAMES = {"\n": "a line feed (\\n)", "\r": "a carriage return (\\r)", "\t": "a tab", " ": "a space"}


def check_credential(value: object, what: str, source: str) -> None:
    """AuthError (exit 3) when `value` cannot be an application ID or secret key as sent in an HTTP header.

    Control characters, non-ASCII characters and surrounding whitespace are refused before any request:
    sent, they fail in the HTTP library (a traceback, or a "network" error that wrappers retry). The
    message names the value and where it came from, and the position, never the value itself.
    """
    if not isinstance(value, str):
        raise UsageError(f"The {what} from {source} must be a string, not {type(value).__name__}.")
    position, problem = _bad_character(value)
    if problem is None:
        return
    raise AuthError(
        f"The {what} from {source} {problem} {position}; nothing was sent.",
        hint=f"Copy the {what} again from the Voucherify dashboard (Project settings > Application keys): "
        "it is printable ASCII, with no spaces around it.",
    )


def _bad_character(value: str) -> tuple[str, str | None]:
    """(where, what) of the first character that cannot be in a credential, or ("", None)."""
    for index, char in enumerate(value):
        if char.isascii() and char.isprintable() and not (char == " " and index in (0, len(value) - 1)):
            continue
        last = index == len(value) - 1
        where = "at its start" if index == 0 else "at its end" if last else f"at character {index + 1}"
        if not char.isascii():
            return where, "has a non-ASCII character"
        name = _CHARACTER_NAMES.get(char) or f"a control character (U+{ord(char):04X})"
        return where, f"has {name}"
    return "", None


def download_base_for(api_base_url: str) -> str | None:
    """The download host's base URL for a region's API base URL, or None for any other base URL."""
    for api, download in REGIONS.values():
        if api_base_url.rstrip("/") == api:
            return download
    return None


def normalise_api_url(url: str, origin: str) -> str:
    """`url` without a trailing slash or `/v1`, after checking it is an absolute http(s) URL."""
    text = url.strip()
    parts = urlsplit(text)
    shown = mask_userinfo(url)  # a password in the URL is never repeated in a message
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"Invalid API URL '{shown}' (from {origin}): expected an absolute URL such as https://api.voucherify.io."
        )
    if parts.query or parts.fragment:
        raise UsageError(f"Invalid API URL '{shown}' (from {origin}): it must not contain a query or a fragment.")
    # The API's paths start with /v1 (`/v1/exports`); a base URL copied with it would ask for /v1/v1/exports.
    base = text.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def profile_names(config_path: Path | None = None) -> list[str]:
    """The profile names in the profile file, for TAB completion; [] when there is none or it is unreadable.

    Cheap on purpose: a line scan of the block-style file, with no `yaml` import, because completion
    runs on every TAB press. Only a file in another YAML style falls back to the real parser.
    """
    path = config_path if config_path is not None else default_config_path()
    try:
        text = read_profile_text(path)  # a FIFO or a device there must not hang a TAB press
    except ConfigError:
        return []
    if text is None:
        return []
    names = scan_profile_names(text)
    if names is not None:
        return names
    try:
        config = _parse_config(text, path)
    except (ConfigError, ImportError):
        return []
    return sorted(config.profiles)


def read_profiles(path: Path) -> tuple[str | None, dict[str, dict[str, str]]] | None:
    """(default_profile, profiles) of the profile file at `path`, checked as commands check it; None without one."""
    config = _load_config(path, _ignore_warning)
    return None if config is None else (config.default_profile, config.profiles)


@dataclass(frozen=True)
class _Config:
    default_profile: str | None
    profiles: dict[str, dict[str, str]]


def _load_config(path: Path, warn: Callable[[str], None]) -> _Config | None:
    text = read_profile_text(path)
    if text is None:
        return None
    config = _parse_config(text, path)
    if any("app_token" in values for values in config.profiles.values()):
        _warn_if_readable_by_others(path, warn)
    return config


def _warn_if_readable_by_others(path: Path, warn: Callable[[str], None]) -> None:
    if os.name != "posix":
        return  # Windows has no group/other mode bits; its ACLs are out of scope
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        warn(
            f"{path} holds a secret key and is readable by other users "
            f"(mode {stat.filemode(mode)}); restrict it with: chmod 600 {path}"
        )


def _parse_config(text: str, path: Path) -> _Config:
    where = str(path)
    data: Any = load_profile_yaml(text, where)
    if data is None:
        return _Config(default_profile=None, profiles={})
    if not isinstance(data, dict):
        raise ConfigError("expected a mapping with 'default_profile' and 'profiles'", path=where)
    for key in data:
        _refuse_unknown(str(key), TOP_LEVEL_KEYS, where)

    raw_profiles = data.get("profiles") or {}
    if not isinstance(raw_profiles, dict):
        raise ConfigError("'profiles' must be a mapping of profile names to settings", path=where)
    profiles: dict[str, dict[str, str]] = {}
    for name, values in raw_profiles.items():
        profiles[str(name)] = _parse_profile(str(name), values, where)

    default = data.get("default_profile")
    if default is not None:
        default = str(default)
        if default not in profiles:
            names = sorted(profiles)
            maybe = _did_you_mean(default, names)
            listing = ", ".join(names) if names else "none"
            raise ConfigError(
                f"default_profile '{default}' is not one of the profiles.{maybe} Profiles: {listing}.", path=where
            )
    return _Config(default_profile=default, profiles=profiles)


def _parse_profile(name: str, values: Any, where: str) -> dict[str, str]:
    if not isinstance(values, dict):
        raise ConfigError(f"profile '{name}' must be a mapping with keys {', '.join(PROFILE_KEYS)}", path=where)
    parsed: dict[str, str] = {}
    for key, value in values.items():
        _refuse_unknown(str(key), PROFILE_KEYS, where, prefix=f"profile '{name}': ")
        if value is None or isinstance(value, (dict, list, bool)):
            raise ConfigError(f"profile '{name}': '{key}' must be a string", path=where)
        if key == "app_token" and not isinstance(value, str):
            # YAML reads `0777` as 511 and `1e3` as 1000.0: the text sent would not be the key written.
            raise ConfigError(
                f"profile '{name}': 'app_token' must be a string, but YAML read it as the number {value!r}; "
                "put the key in quotes (app_token: '0777')",
                path=where,
            )
        parsed[str(key)] = str(value)
    if "region" in parsed and "api_url" in parsed:
        raise ConfigError(f"profile '{name}': give either 'region' or 'api_url', not both", path=where)
    if "region" in parsed:
        _check_region(parsed["region"], f"{where}: profile '{name}'")
    if "api_url" in parsed:
        parsed["api_url"] = normalise_api_url(parsed["api_url"], f"{where}: profile '{name}'")
    return parsed


def _refuse_unknown(key: str, valid: Sequence[str], where: str, *, prefix: str = "") -> None:
    """The profile file's one unknown-key check, for its top level and for each profile."""
    if key not in valid:
        maybe = _did_you_mean(key, valid)
        raise ConfigError(f"{prefix}unknown key '{key}'.{maybe} Valid keys: {', '.join(valid)}.", path=where)


def _did_you_mean(value: str, choices: Sequence[str]) -> str:
    """` Did you mean 'x'?` for the closest choice, or "" when none is close; ValidationError's wording."""
    suggestion = closest(value, choices)
    return f" Did you mean '{suggestion}'?" if suggestion else ""


def _check_region(region: str, origin: str) -> None:
    if region not in REGIONS:
        raise ValidationError(
            f"Unknown region '{region}' (from {origin}).",
            valid=REGIONS,
            suggestion=closest(region, REGIONS),
            hint="For a dedicated cluster, give its base URL with --api-url instead.",
        )


def _first(*values: str | None) -> str | None:
    """The first value that is set; an empty environment variable counts as unset."""
    return next((value for value in values if value), None)


def _missing_credentials_message(app_id: str | None, app_token: str | None, path: Path) -> str:
    missing = " and ".join(
        label for label, value in (("application ID", app_id), ("secret key", app_token)) if not value
    )
    return (
        f"No Voucherify {missing} given. Give them in one of three ways: "
        f"the flags --app-id and --app-token; "
        f"the environment variables {ENV_APP_ID} and {ENV_APP_TOKEN} (or {ENV_SECRET_KEY}); "
        f"or a profile in {path}."
    )

"""`exportctl auth status` as data: the profiles there are, the one in use, and where each value comes from.

It follows `settings.resolve_settings` rule for rule (flags, then the environment, then the profile file;
the file read only when a profile is named or the flags and environment lack a credential), without
raising for missing credentials: a report says what is missing. Secret keys are masked here, so nothing
downstream ever holds one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exportctl.masking import mask_userinfo
from exportctl.settings import (
    DEFAULT_REGION,
    ENV_API_URL,
    ENV_APP_ID,
    ENV_APP_TOKEN,
    ENV_PROFILE,
    ENV_SECRET_KEY,
    REGIONS,
    default_config_path,
    read_profiles,
)

# The end of a secret key shown beside the mask, only for a key long enough that it gives nothing away.
SHOWN_SECRET_END = 4
MIN_SECRET_TO_SHOW_END = 16


def mask_secret(secret: str) -> str:
    """`***wxyz` for a long key (its last four characters, to tell keys apart), `***` for a short one."""
    if len(secret) >= MIN_SECRET_TO_SHOW_END:
        return "***" + secret[-SHOWN_SECRET_END:]
    return "***"


@dataclass(frozen=True)
class Value:
    """One setting in use: its (masked) value and where it came from; both None when it is missing."""

    value: str | None
    source: str | None

    def to_json(self) -> dict[str, str | None]:
        return {"value": self.value, "source": self.source}


@dataclass(frozen=True)
class CredentialReport:
    config_path: Path
    file_exists: bool
    default_profile: str | None
    profiles: dict[str, dict[str, str]]  # secret keys masked
    profile: Value  # the profile in use (None when none is read)
    app_id: Value
    app_token: Value  # masked
    api_url: Value
    problems: list[str] = field(default_factory=list)

    @property
    def usable(self) -> bool:
        return self.app_id.value is not None and self.app_token.value is not None and not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "config_path": str(self.config_path),
            "default_profile": self.default_profile,
            "profiles": [
                {"name": name, "default": name == self.default_profile, "in_use": name == self.profile.value, **values}
                for name, values in sorted(self.profiles.items())
            ],
            "in_use": {
                "profile": self.profile.to_json(),
                "app_id": self.app_id.to_json(),
                "app_token": self.app_token.to_json(),
                "api_url": self.api_url.to_json(),
            },
            "usable": self.usable,
            "problems": list(self.problems),
        }


def _first(*pairs: tuple[str | None, str]) -> tuple[str, str] | None:
    """The first (value, source) whose value is set; an empty environment variable counts as unset."""
    return next(((value, source) for value, source in pairs if value), None)


def credential_report(
    *,
    app_id: str | None = None,
    app_token: str | None = None,
    api_url: str | None = None,
    region: str | None = None,
    profile: str | None = None,
    environ: Mapping[str, str] | None = None,
    config_path: Path | None = None,
) -> CredentialReport:
    """What a command run with these flags would use; ConfigError when the profile file is broken."""
    env = os.environ if environ is None else environ
    path = config_path if config_path is not None else default_config_path(env)
    loaded = read_profiles(path)
    default, profiles = loaded if loaded is not None else (None, {})
    masked = {
        name: {key: mask_secret(value) if key == "app_token" else mask_userinfo(value) for key, value in values.items()}
        for name, values in profiles.items()
    }
    chosen_id = _first((app_id, "--app-id"), (env.get(ENV_APP_ID), ENV_APP_ID))
    chosen_token = _first(
        (app_token, "--app-token"), (env.get(ENV_APP_TOKEN), ENV_APP_TOKEN), (env.get(ENV_SECRET_KEY), ENV_SECRET_KEY)
    )
    named = _first((profile, "--profile"), (env.get(ENV_PROFILE), ENV_PROFILE))
    problems: list[str] = []
    in_use: tuple[str, str] | None = None
    if named is not None:
        in_use = named
        if named[0] not in profiles:
            where = f"in {path}" if loaded is not None else f"(there is no profile file at {path})"
            problems.append(f"profile '{named[0]}' (from {named[1]}) is not {where}")
    elif not (chosen_id and chosen_token) and default is not None:
        in_use = (default, f"default_profile in {path}")
    values = profiles.get(in_use[0], {}) if in_use else {}
    from_profile = f"profile '{in_use[0]}' in {path}" if in_use else ""

    def pick(chosen: tuple[str, str] | None, key: str) -> Value:
        if chosen is not None:
            return Value(chosen[0], chosen[1])
        if key in values:
            return Value(values[key], from_profile)
        return Value(None, None)

    identifier = pick(chosen_id, "app_id")
    token = pick(chosen_token, "app_token")
    token = Value(mask_secret(token.value), token.source) if token.value is not None else token
    endpoint = _endpoint(api_url, region, env, values, from_profile)
    if region and region not in REGIONS:
        problems.append(f"unknown region '{region}' (from --region); valid: {', '.join(REGIONS)}")
    if identifier.value is None:
        problems.append("no application ID: give --app-id, set VOUCHERIFY_APP_ID, or run exportctl login")
    if token.value is None:
        problems.append("no secret key: set VOUCHERIFY_APP_TOKEN, or run exportctl login")
    return CredentialReport(
        config_path=path,
        file_exists=loaded is not None,
        default_profile=default,
        profiles=masked,
        profile=Value(*in_use) if in_use else Value(None, None),
        app_id=identifier,
        app_token=token,
        api_url=endpoint,
        problems=problems,
    )


def _endpoint(
    api_url: str | None, region: str | None, env: Mapping[str, str], values: Mapping[str, str], from_profile: str
) -> Value:
    if region:
        return Value(REGIONS[region][0] if region in REGIONS else None, f"--region {region}")
    if api_url:
        return Value(mask_userinfo(api_url), "--api-url")
    if env.get(ENV_API_URL):
        return Value(mask_userinfo(env[ENV_API_URL]), ENV_API_URL)
    if "api_url" in values:
        return Value(mask_userinfo(values["api_url"]), f"{from_profile} (api_url)")
    if "region" in values and values["region"] in REGIONS:
        return Value(REGIONS[values["region"]][0], f"{from_profile} (region {values['region']})")
    return Value(REGIONS[DEFAULT_REGION][0], f"the default region ({DEFAULT_REGION})")

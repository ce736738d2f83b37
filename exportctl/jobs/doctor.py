"""`exportctl doctor`: every check a person would make before blaming the export, as data.

Each check is one `Check` (ok, warn or fail, what was found, and the fix); the CLI prints them. Every
request is made once, unretried (`client.probe`), so a failing API shows as failing at once.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

from exportctl.client.probe import ProbeAnswer, lasting_refusal, probe_api, probe_host
from exportctl.errors import ExportctlError
from exportctl.masking import mask_userinfo
from exportctl.profile_reading import file_kind
from exportctl.settings import REGIONS, Settings, download_base_for

OK, WARN, FAIL = "ok", "warn", "fail"
# A check that could not be made because the one it depends on failed (no clock without an answer): no
# warning of its own, as the failing check already says what is wrong.
SKIP = "skip"
LEVELS = (OK, WARN, FAIL, SKIP)
# Beyond this, relative filters (`-30d`) and incremental watermarks are computed from a wrong "now".
MAX_CLOCK_SKEW = 30.0
# Below this share of the limit, an export's polling may run out of calls.
LOW_BUDGET_SHARE = 0.1
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Check:
    name: str
    level: str  # ok | warn | fail | skip
    detail: str
    fix: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {"name": self.name, "level": self.level, "detail": self.detail, "fix": self.fix}


def run_checks(
    resolve: Callable[[], Settings],
    *,
    config_path: Path,
    download_url: str | None = None,
    wallclock: Callable[[], float] = time.time,
    bucket: str | None = None,
) -> list[Check]:
    """Every check, in the order a person would go through them; no password of a URL in any of them.

    `bucket` (`doctor --bucket s3://BUCKET/PREFIX`) adds the bucket's checks (`remote_checks`)."""
    checks = _checks(resolve, config_path, download_url, wallclock)
    if bucket is not None:
        from exportctl.jobs.remote_output import remote_checks

        checks += [Check(*fields) for fields in remote_checks(bucket)]
    return [
        Check(check.name, check.level, mask_userinfo(check.detail), mask_userinfo(check.fix) if check.fix else None)
        for check in checks
    ]


def _checks(
    resolve: Callable[[], Settings], config_path: Path, download_url: str | None, wallclock: Callable[[], float]
) -> list[Check]:
    checks: list[Check] = []
    try:
        settings = resolve()
    except ExportctlError as error:
        checks.append(Check("credentials", FAIL, error.message, error.hint or "Run: exportctl login"))
        checks.append(_config_file(config_path))
        return checks
    where = f" in {config_path}" if settings.profile is not None else ""
    found = f"application id {settings.app_id} and a secret key, from {settings.source}{where}"
    checks.append(Check("credentials", OK, found))
    checks.append(_endpoint(settings.base_url))
    answer = probe_api(settings)
    checks.append(_api(settings, answer, wallclock()))
    checks.append(_rate_budget(answer))
    checks.append(_clock(answer, wallclock()))
    checks.append(_config_file(config_path))
    checks.append(_download_host(download_url or download_base_for(settings.base_url) or settings.base_url))
    return checks


def all_ok(checks: Sequence[Check]) -> bool:
    return all(check.level in (OK, SKIP) for check in checks)


def _endpoint(base_url: str) -> Check:
    region = next((name for name, (api, _) in REGIONS.items() if api == base_url.rstrip("/")), None)
    parts = urlsplit(base_url)
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        return Check(
            "endpoint",
            WARN,
            f"{base_url}: plain http, so the secret key travels unencrypted",
            "Use the https:// URL of your cluster (--api-url or VOUCHERIFY_API_BASE_URL).",
        )
    where = f"region {region}" if region else "a custom base URL"
    return Check("endpoint", OK, f"{base_url} ({where})")


def _api(settings: Settings, answer: ProbeAnswer, now: float) -> Check:
    base_url = settings.base_url
    refusal = lasting_refusal(answer, settings, now)
    if refusal is not None:
        # The same words as any command would say: another cluster's credentials, or a spent quota.
        return Check("api", FAIL, refusal.message, refusal.hint)
    if answer.status is None:
        return Check(
            "api",
            FAIL,
            f"{base_url}: {answer.problem}",
            "Check the network and the base URL (--region eu|us1|as1 or --api-url).",
        )
    if answer.status == 200:
        return Check("api", OK, "the credentials work: GET /v1/exports answered 200")
    if answer.status in (401, 403):
        return Check(
            "api",
            FAIL,
            f"the API refused the credentials ({answer.status})",
            "Copy the application id and secret key from the Voucherify dashboard (Project settings > "
            "Application keys), then run: exportctl login",
        )
    if answer.status == 404:
        return Check(
            "api",
            FAIL,
            f"no export API at {base_url} (GET /v1/exports answered 404)",
            "Give the base URL without /v1, e.g. --api-url https://api.voucherify.io",
        )
    return Check(
        "api",
        FAIL,
        f"GET /v1/exports answered {answer.status}",
        "The API is failing or rate limited; try again in a minute.",
    )


def _rate_budget(answer: ProbeAnswer) -> Check:
    if answer.status is None:
        return Check("rate limit", SKIP, "not checked: the API could not be reached")
    remaining = _int(answer.headers.get("X-Rate-Limit-Remaining"))
    limit = _int(answer.headers.get("X-Rate-Limit-Limit"))
    if remaining is None:
        return Check("rate limit", WARN, "unknown: the API sent no X-Rate-Limit-Remaining")
    of = f" of {limit}" if limit is not None else ""
    if remaining == 0:
        return Check("rate limit", FAIL, f"0{of} calls left", "Wait for the limit to reset before exporting.")
    if limit and remaining < limit * LOW_BUDGET_SHARE:
        return Check(
            "rate limit", WARN, f"{remaining}{of} calls left", "An export polls several times; wait for the reset."
        )
    return Check("rate limit", OK, f"{remaining}{of} calls left")


def _clock(answer: ProbeAnswer, now: float) -> Check:
    if answer.status is None:
        return Check("clock", SKIP, "not checked: the API could not be reached")
    date = answer.headers.get("Date")
    if not date:
        return Check("clock", WARN, "unknown: the API sent no Date header")
    try:
        server = parsedate_to_datetime(date).timestamp()
    except (TypeError, ValueError):
        return Check("clock", WARN, f"unknown: the API's Date header is not a date ({date[:40]!r})")
    skew = now - server
    if abs(skew) > MAX_CLOCK_SKEW:
        side = "ahead of" if skew > 0 else "behind"
        return Check(
            "clock",
            WARN,
            f"this machine is {abs(skew):.0f} s {side} the API's clock",
            "Synchronise the clock (e.g. timedatectl set-ntp true): relative filters and --since-last use it.",
        )
    return Check("clock", OK, f"within {MAX_CLOCK_SKEW:.0f} s of the API's clock")


def _config_file(path: Path) -> Check:
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        if path.is_symlink():
            return Check(
                "profile file",
                FAIL,
                f"{path} is a symbolic link to {path.readlink()}, which does not exist",
                f"Point the link at your profile file, or remove it: rm {path}",
            )
        return Check("profile file", OK, f"none at {path}")
    except OSError as exc:
        return Check("profile file", FAIL, f"{path}: {exc.strerror or exc}", f"Check the permissions of {path.parent}")
    if not stat.S_ISREG(mode):
        return Check("profile file", FAIL, f"{path} is {file_kind(mode)}, not a regular file", f"Remove it: rm {path}")
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Check(
            "profile file",
            WARN,
            f"{path} is readable by other users (mode {stat.filemode(mode)})",
            f"chmod 600 {path}",
        )
    return Check("profile file", OK, f"{path} (mode {stat.filemode(mode)})")


def _download_host(url: str) -> Check:
    answer = probe_host(url)
    if answer.status is None:
        return Check(
            "download host",
            FAIL,
            f"{url}: {answer.problem}",
            "Allow HTTPS to the download host in your firewall or proxy; exports are downloaded from it.",
        )
    return Check("download host", OK, f"{url} is reachable")


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None

"""The exception hierarchy. Each error carries its exit code; the CLI renders it once, at the edge."""

from __future__ import annotations

import enum
from collections.abc import Iterable


class ExitCode(enum.IntEnum):
    """The documented exit statuses of every exportctl command."""

    OK = 0
    UNEXPECTED = 1
    USAGE = 2  # bad flags, bad config, validation failure
    AUTH = 3  # missing or rejected credentials (401), or credentials of another cluster (403 wrong_api_endpoint)
    # the API answered 4xx (403 included) to a well-formed request, or a quota that waiting does not clear
    # is spent: the plan's limit (402) or the API-calls cycle limit (429 with X-Rate-Limit-Type api_calls_cycle)
    API_REJECTED = 4
    EXPORT_FAILED = 5  # the export ended in ERROR
    TIMEOUT = 6  # gave up waiting for the export
    NETWORK = 7  # network failure after retries (including 5xx and 429 that never cleared)
    LOCKED = 8  # another run of the same export holds the lock
    UNPARSED = 9  # --unparsed fail: a value did not fit its typed column
    INTERRUPTED = 130  # Ctrl-C


class ExportctlError(Exception):
    """Base of every error exportctl expects; `exit_code` says how the process ends."""

    exit_code: ExitCode = ExitCode.UNEXPECTED
    # The export the error concerns, once it was created (a timeout, an export in ERROR, a failed download,
    # an interruption while waiting); None before anything was submitted, or when no export is involved.
    export_id: str | None = None

    def __init__(self, message: str, *, hint: str | None = None, export_id: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint  # what to do next, shown on its own line
        self.export_id = export_id

    def __str__(self) -> str:
        return self.message


class UsageError(ExportctlError):
    """Bad input: an unknown field, a malformed filter, a YAML error, a target that exists."""

    exit_code = ExitCode.USAGE


class ValidationError(UsageError):
    """A value that is not in a schema table; names the valid values and a close match."""

    def __init__(
        self,
        message: str,
        *,
        valid: Iterable[str] = (),
        suggestion: str | None = None,
        hint: str | None = None,
    ) -> None:
        valid = tuple(valid)
        text = message
        if suggestion:
            text += f" Did you mean '{suggestion}'?"
        if valid:
            text += f" Valid values: {', '.join(valid)}."
        super().__init__(text, hint=hint)
        self.valid = valid
        self.suggestion = suggestion


class ConfigError(UsageError):
    """A configuration file that cannot be read or does not follow the format."""

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, column: int | None = None
    ) -> None:
        where = path or ""
        if path and line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line
        self.column = column


class ConfigProblemsError(UsageError):
    """Every problem of one config file given to `-c FILE`, as `exportctl validate` reports them.

    `problems` are `(line, message)` pairs, each message starting `file:line: `; the error's own message
    says how many (or is the one problem's message), and the CLI prints each on its own line.
    """

    def __init__(self, file: str, problems: Iterable[tuple[int | None, str]], *, hint: str | None = None) -> None:
        self.file = file
        self.problems = tuple(problems)
        count = len(self.problems)
        message = self.problems[0][1] if count == 1 else f"{count} problems in {file}; nothing was submitted."
        super().__init__(message, hint=hint)


class AuthError(ExportctlError):
    """Credentials are missing, or the API refused them (401); a 403 is an ApiError (exit 4)."""

    exit_code = ExitCode.AUTH


class WrongClusterError(AuthError):
    """403 `wrong_api_endpoint`: the credentials belong to a project on another cluster (region).

    `right_url` is the base URL the API named, when it is a plain https URL of a plausible host; it is
    only shown, never followed.
    """

    def __init__(self, message: str, *, hint: str | None = None, right_url: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.right_url = right_url


class ApiError(ExportctlError):
    """The API rejected the request; rendered as `key: message (details) [request_id]`."""

    exit_code = ExitCode.API_REJECTED

    def __init__(
        self,
        status: int,
        key: str | None,
        message: str,
        details: str | None = None,
        request_id: str | None = None,
    ) -> None:
        text = f"{key}: {message}" if key else message
        if details:
            text += f" ({details})"
        if request_id:
            text += f" [{request_id}]"
        super().__init__(text)
        self.status = status
        self.key = key
        self.details = details
        self.request_id = request_id


class QuotaError(ApiError):
    """A quota that waiting minutes will not clear: the pricing plan's limit (402) or the project's API-calls
    limit for the billing cycle (429 with `X-Rate-Limit-Type: api_calls_cycle`). Never retried.

    `limit` is `plan` or `api_calls_cycle`; `resets_at` (epoch seconds) when the API's headers said.
    """

    def __init__(
        self,
        status: int,
        key: str | None,
        text: str,
        *,
        limit: str,
        resets_at: float | None = None,
        request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(status, key, text, None, request_id)
        self.message = text
        self.args = (text,)
        self.hint = hint
        self.limit = limit
        self.resets_at = resets_at


class NotFoundError(ApiError):
    """The export (or resource) does not exist (404)."""


class ExportFailedError(ExportctlError):
    """The export job ended in ERROR."""

    exit_code = ExitCode.EXPORT_FAILED


class WaitTimeoutError(ExportctlError):
    """The export did not finish within --timeout."""

    exit_code = ExitCode.TIMEOUT


class NetworkError(ExportctlError):
    """The API could not be reached, or kept failing, after every retry."""

    exit_code = ExitCode.NETWORK


class DownloadError(NetworkError):
    """A download ended early or did not match its announced size."""


class LockedError(ExportctlError):
    """Another run of the same export is in progress."""

    exit_code = ExitCode.LOCKED


class InterruptedByUser(ExportctlError):
    """Ctrl-C; carries the command that resumes, when there is one."""

    exit_code = ExitCode.INTERRUPTED


class DownloadTokenError(AuthError):
    """The download URL's token was refused (401 on `result.url`); a fresh URL may still work."""


class OutputError(ExportctlError):
    """The CSV could not be written locally (disk full, I/O error); the `.part` file is kept when it helps."""


class UnparsedValueError(ExportctlError):
    """`--unparsed fail`: a value did not fit its column's type; names the row and the column."""

    exit_code = ExitCode.UNPARSED

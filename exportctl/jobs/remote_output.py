"""Exports into a bucket: `-o s3://...`, `--output-dir gs://...`, run files' `output`/`output_dir`, `output=`.

The run is the local run it always was, aimed at a private directory (`mkdtemp`, mode 0700, under `TMPDIR`):
the download, its verification (length, sha256, rows), the typed conversion or load all happen there. The
upload is the last step, after the file was committed locally, and the object appears only when the upload
commits (`remote.upload`). The directory is removed on every way out. For an incremental run the upload
happens inside the window's run, so the watermark moves only after the object committed.

Before anything is submitted the bucket URL is parsed (offline, at plan time) and, when its name does not
wait for the export id, an existing object is refused unless --force (`refuse_existing`); the conditional
PUT catches one that appears in between.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exportctl.errors import ExportctlError, InterruptedByUser, UsageError
from exportctl.files.targets import (
    DEFAULT_TEMPLATE,
    STDOUT,
    needs_export_id,
    preflight_target,
    resolve_target,
    template_placeholders,
)
from exportctl.masking import printable
from exportctl.remote.urls import RemoteUrl, is_remote, parse_url
from exportctl.request.model import RunOptions

if TYPE_CHECKING:
    from datetime import datetime

    from exportctl.client.api import ApiClient
    from exportctl.events import EventHandler
    from exportctl.jobs.download import DownloadResult
    from exportctl.jobs.single import ExportOutcome

TEMP_PREFIX = "exportctl-upload-"


def destination(options: RunOptions) -> RemoteUrl | None:
    """The bucket URL the run writes to (its key may be a template), or None for a local target.

    `--output s3://...` wins; `--output-dir s3://...` holds a relative `--output` (or the default name).
    """
    if options.into is not None and options.output is None:
        return None  # --into alone writes a table, no file
    return destination_of(options.output, options.output_dir)


def destination_of(output: str | None, output_dir: str | None) -> RemoteUrl | None:
    """The bucket URL of an `--output` and `--output-dir` (see `destination`), or None for a local target."""
    for given, what in ((output, "--output"), (output_dir, "--output-dir")):
        if given is not None and not is_remote(given) and is_remote(given.replace(":/", "://", 1)):
            raise UsageError(
                f"{what} {printable(given)!r} looks like a bucket URL that lost a slash; exportctl will not "
                "create a local directory named after a scheme.",
                hint="Write it as s3://BUCKET/KEY (from Python, as a str: pathlib.Path folds the '//').",
            )
    if is_remote(output):
        assert output is not None
        url = parse_url(output, what="--output")
    elif is_remote(output_dir) and output != STDOUT and not _absolute(output):
        assert output_dir is not None
        base = parse_url(output_dir, what="--output-dir", prefix=True)
        url = parse_url(str(base.child(output or DEFAULT_TEMPLATE)), what="--output")
    else:
        return None
    template_placeholders(url.key)  # an unknown placeholder is refused offline, as for a file
    return url


def check_state(state: str | None) -> None:
    """A `--since-last` state in a bucket, parsed offline (ValidationError naming the valid forms); a local
    path that looks like a bucket URL that lost a slash is refused as for --output."""
    if is_remote(state):
        assert state is not None
        parse_url(state, what="--since-last")
    elif state is not None and is_remote(state.replace(":/", "://", 1)):
        raise UsageError(
            f"--since-last {printable(state)!r} looks like a bucket URL that lost a slash.",
            hint="Write it as s3://BUCKET/KEY.",
        )


def _absolute(output: str | None) -> bool:
    return output is not None and Path(output).expanduser().is_absolute()


def planned_url(planned: Any) -> str | None:
    """The object's URL of a `jobs.plan.Plan` when it is known offline (its key does not wait for the export id)."""
    url = destination(planned.options)
    if url is None or needs_export_id(url.key):
        return None
    return str(_rendered(url, planned.request.obj.command, planned.now, None))


def _rendered(url: RemoteUrl, command: str, now: datetime, export_id: str | None) -> RemoteUrl:
    """`url` with its key's placeholders filled in, through the same rules as a local file name."""
    root = Path("/bucket")
    local = resolve_target(url.key, command=command, export_id=export_id, output_dir=str(root), now=now)
    assert isinstance(local, Path)  # under a directory: never standard output
    return RemoteUrl(url.scheme, url.bucket, local.relative_to(root).as_posix())


def is_upload_staging(target: str) -> bool:
    """Whether `target` is a file in a private upload directory (what the terminal calls a temporary file)."""
    import tempfile

    parent = Path(target).parent
    while parent.parent != parent and not parent.name.startswith(TEMP_PREFIX):
        parent = parent.parent
    return parent.name.startswith(TEMP_PREFIX) and parent.parent == Path(tempfile.gettempdir())


def run_remote(
    client: ApiClient, planned: Any, run_local: Callable[[Any], ExportOutcome], on_event: EventHandler
) -> ExportOutcome:
    """Run `planned` into a private local directory, then upload its file to the bucket as the last step.

    `planned` is a `jobs.plan.Plan` (which imports this module); `run_local` runs a plan aimed at a file.
    """
    import shutil
    import tempfile
    import time
    from dataclasses import replace

    from exportctl.events import Uploaded
    from exportctl.remote.store import open_store
    from exportctl.remote.upload import refuse_existing, single_put_max, upload_file

    options = planned.options
    url = destination(options)
    assert url is not None
    command = planned.request.obj.command
    store = open_store(url)
    single_put_max()  # a bad EXPORTCTL_UPLOAD_SINGLE_MAX is refused before the export is created
    if not needs_export_id(url.key):
        refuse_existing(_rendered(url, command, planned.now, None), options.force, store)
    directory = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    try:
        local_options = options._replace(output=url.key, output_dir=str(directory))
        known = preflight_target(url.key, command=command, output_dir=str(directory), now=planned.now, force=False)
        local = planned._replace(options=local_options, known_target=known, creates_directory=None)
        try:
            outcome = run_local(local)
        except ExportctlError as exc:
            _point_at_bucket(exc, directory, url)
            raise
        summary = outcome.summary()
        saved = summary.get("output")
        if outcome.download is None or saved is None:
            return outcome
        path = Path(saved)
        key = path.relative_to(directory).as_posix()
        started = time.monotonic()
        target = RemoteUrl(url.scheme, url.bucket, key)
        try:
            uploaded = upload_file(
                path, target, sha256=summary.get("sha256"), force=options.force, check=client.stop.check, store=store
            )
        except KeyboardInterrupt:
            raise InterruptedByUser(
                f"Interrupted while uploading export {outcome.export_id} to {target}; nothing was written there.",
                hint="Run the same command again.",
            ) from None
        on_event(Uploaded(str(uploaded.url), uploaded.bytes, time.monotonic() - started, uploaded.multipart))
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(directory)
    return replace(outcome, extra={**outcome.extra, "output": str(uploaded.url)})


def download_to_bucket(
    client: ApiClient,
    export: dict[str, Any],
    url: RemoteUrl,
    command: str,
    *,
    force: bool,
    on_event: EventHandler,
) -> DownloadResult:
    """`exportctl download ID -o s3://...`: the DONE export saved in a private directory, then uploaded."""
    import shutil
    import tempfile
    import time
    from dataclasses import replace
    from datetime import datetime, timezone

    from exportctl.events import Uploaded
    from exportctl.jobs.download import download_export
    from exportctl.remote.store import open_store
    from exportctl.remote.upload import refuse_existing, upload_file

    export_id = str(export.get("id"))
    target = _rendered(url, command, datetime.now(timezone.utc), export_id)
    store = open_store(target)
    refuse_existing(target, force, store)
    directory = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX))
    try:
        try:
            result = download_export(client, export, directory / target.key, on_event=on_event)
        except ExportctlError as exc:
            _point_at_bucket(exc, directory, url)
            raise
        started = time.monotonic()
        try:
            uploaded = upload_file(
                directory / target.key, target, sha256=result.sha256, force=force, check=client.stop.check, store=store
            )
        except KeyboardInterrupt:
            raise InterruptedByUser(
                f"Interrupted while uploading export {export_id} to {target}; nothing was written there.",
                hint="Run the same command again.",
            ) from None
        on_event(Uploaded(str(target), uploaded.bytes, time.monotonic() - started, uploaded.multipart))
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(directory)
    return replace(result, url=str(target))


def remote_checks(bucket: str) -> list[tuple[str, str, str, str | None]]:
    """`doctor --bucket URL`: (name, level, detail, fix) of write access, and of the multipart clean-up rule."""
    from exportctl.remote.upload import probe_write

    try:
        url = parse_url(bucket, what="--bucket", prefix=True)
        done = probe_write(url)
    except ExportctlError as exc:
        return [
            (
                "bucket",
                "fail",
                exc.message,
                exc.hint or "Check the credentials the README's 'Exports in a bucket' names.",
            )
        ]
    rule = (
        "bucket clean-up",
        "skip",
        "obstore cannot read the bucket's lifecycle rules; exportctl aborts its own incomplete uploads, a killed "
        "process (SIGKILL) cannot.",
        "Add a rule that aborts incomplete multipart uploads after a day (S3 AbortIncompleteMultipartUpload; "
        "Azure and GCS expire uncommitted blocks and parts on their own).",
    )
    return [("bucket", "ok", done, None), rule]


def _point_at_bucket(exc: ExportctlError, directory: Path, url: RemoteUrl) -> None:
    """A message or hint that names the private directory (which is removed) names the bucket instead."""
    local = f"{directory}/"
    bucket = f"{url.bucket_url}/"
    exc.message = exc.message.replace(local, bucket)
    exc.args = (exc.message,)
    if exc.hint is not None:
        exc.hint = exc.hint.replace(local, bucket)

"""The option table's records for the commands themselves (`--dry-run`, `--json`, `exportctl run`'s own).

Neither in a YAML file nor a library keyword; `request.options.OPTIONS` ends with them. `--parallel` is two
records: windows of a split export on the export commands (`parallel`), exports of a file on `run`
(`run_parallel`).
"""

from __future__ import annotations

from exportctl.request.option_record import EXPORT, MAX_PARALLEL, RUN, RUN_FILE, Option

COMMAND_OPTIONS: tuple[Option, ...] = (
    Option(
        "run_parallel",
        ("--parallel", "-p"),
        "count",
        "How many of the file's exports run at once (the windows of a split export are each export's own "
        "`parallel` key); together they keep within the API's rate limit.",
        metavar="N",
        panel=RUN,
        doors=(RUN_FILE,),
        initial=1,
        bounds=(1, MAX_PARALLEL),
    ),
    Option(
        "keep_going",
        ("--keep-going", "-k"),
        "switch",
        "Run the remaining exports after one fails (default: start no more after the first failure).",
        panel=RUN,
        doors=(RUN_FILE,),
        initial=False,
    ),
    Option(
        "only",
        ("--only",),
        "texts",
        "Run only the export with this name; repeatable. The whole file is still validated.",
        metavar="NAME",
        panel=RUN,
        doors=(RUN_FILE,),
    ),
    Option(
        "dry_run",
        ("--dry-run",),
        "switch",
        "Print every request it would send (POST endpoint, each body as JSON; with --json one document) "
        "and exit; no network, no credentials needed.",
        doc="print every request exactly as it would be sent and exit: `POST endpoint (window)` on stderr, each "
        "body as JSON on stdout (the `--since`/`--until` window, one body per `--split-by` window, an incremental "
        "run's window from its watermark to now); with `--json` one document `{object, output, creates_directory, "
        "requests: [{method, endpoint, body, since, until}]}`, what `exportctl.plan(...).to_json()` returns. No "
        "network, no credentials. `exportctl run FILE --dry-run` does the same for each export",
        panel=RUN,
        doors=(EXPORT, RUN_FILE),
        initial=False,
        run_help="Print every export's API requests (endpoint and body) and exit; no network, no credentials.",
    ),
    Option(
        "json_output",
        ("--json",),
        "switch",
        "Print one JSON object with the result to standard output.",
        doc="print one JSON summary on stdout at the end",
        panel=RUN,
        doors=(EXPORT, RUN_FILE),
        initial=False,
        run_help="Print one JSON object (the run, with one object per export under 'exports') instead of the table.",
    ),
)

"""Nothing lost on disk: overlapping runs, devices and FIFOs, planted symlinks, kept modes, damaged state.

Each test runs the real CLI against the sandbox, on real files in tmp_path (real processes where the test is
about two runs overlapping), and checks what a user would find on disk afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import threading
from pathlib import Path

import pytest

from exportctl.errors import ExitCode
from exportctl.files.atomic import part_path
from exportctl.sandbox import Sandbox
from tests.cli.conftest import Cli
from tests.cli.test_fault_matrix import ALL_FIELDS, start_cli, wait_for

VICTIM = b"precious, not ours\n"


def server_file(sandbox: Sandbox, summary: str) -> bytes:
    return (sandbox.data_dir / f"{json.loads(summary)['export_id']}.csv").read_bytes()


def collapsed(text: str) -> str:
    return " ".join(text.split())


# --- 1. two runs writing one target -----------------------------------------------------------------


def test_two_overlapping_runs_never_mix_and_the_later_one_does_not_replace(
    sandbox: Sandbox, big: Sandbox, isolated: Path
) -> None:
    """Run A stalls mid-download with its .part half-written; run B writes the same target meanwhile."""
    target, part = isolated / "same.csv", part_path(isolated / "same.csv")
    # Run B, a whole process, takes ~0.55 s idle and over 2 s on a machine loaded to 10: a 6 s stall keeps A behind B.
    big.faults.stall_download_after(300_000, 6)
    first = start_cli(big, isolated, "voucher", "--fields", ALL_FIELDS, "-o", "same.csv", "--json")
    wait_for(lambda: part.exists() and part.stat().st_size > 0, process=first)

    second = start_cli(sandbox, isolated, "voucher", "--fields", "code", "-o", "same.csv", "--json")
    second_out, second_err = second.communicate(timeout=60)
    _, first_err = first.communicate(timeout=60)

    # B saved its own export, complete, and its --json sha256 is the file's.
    assert second.returncode == 0, second_err
    assert target.read_bytes() == server_file(sandbox, second_out)
    assert json.loads(second_out)["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    # A, finishing later without --force, does not replace B's file: it says so, and keeps its own data.
    assert first.returncode == ExitCode.USAGE, first_err
    assert "same.csv appeared while downloading; it was left untouched" in collapsed(first_err)
    assert "Traceback" not in first_err + second_err
    assert part.read_bytes() == (big.data_dir / f"{_created_id(first_err)}.csv").read_bytes()
    assert sorted(p.name for p in isolated.iterdir()) == ["same.csv", "same.csv.part", "same.csv.part.json"]


def _created_id(stderr: str) -> str:
    return next(word for word in stderr.split() if word.startswith("exp_"))


# --- 4. devices and FIFOs are written, not replaced --------------------------------------------------------


def test_a_character_device_target_is_written_into_not_replaced(cli: Cli, isolated: Path) -> None:
    device = isolated / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # a /dev/null of our own, as root can make
    except PermissionError:
        pytest.skip("needs CAP_MKNOD (root in a container) to make a device node")
    result = cli("voucher", "--fields", "code", "-o", str(device), "--force")
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(device.stat().st_mode), "the device was replaced by a regular file"
    assert sorted(p.name for p in isolated.iterdir()) == ["null"]


def test_a_fifo_target_is_written_into_without_force(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    fifo = isolated / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    result = cli("voucher", "--fields", "code", "-o", str(fifo), "--json")
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert received == [server_file(sandbox, result.stdout.splitlines()[-1])]
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert sorted(p.name for p in isolated.iterdir()) == ["pipe"]


def test_dev_stdout_works_like_a_dash(cli: Cli, isolated: Path) -> None:
    result = cli("voucher", "--fields", "code", "-o", "/dev/stdout")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Code"
    assert list(isolated.iterdir()) == []
    # Like -o -, it cannot share standard output with the --json summary.
    with_json = cli("voucher", "--fields", "code", "-o", "/dev/stdout", "--json")
    assert with_json.exit_code == ExitCode.USAGE, with_json.output
    assert "--json and -o - both write to standard output" in collapsed(with_json.stderr)


# --- 5. planted symlinks are never written through ----------------------------------------------------------


def test_a_part_file_symlink_is_refused_before_anything_is_submitted(cli: Cli, isolated: Path) -> None:
    victim = isolated / "victim"
    victim.write_bytes(VICTIM)
    part_path(isolated / "out.csv").symlink_to(victim)
    before = cli.export_count()
    result = cli("voucher", "--fields", "code", "-o", "out.csv")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "out.csv.part is a symbolic link" in collapsed(result.stderr)
    assert victim.read_bytes() == VICTIM
    assert cli.export_count() == before


def test_a_planted_gzip_temporary_symlink_is_not_followed(cli: Cli, sandbox: Sandbox, isolated: Path) -> None:
    victim = isolated / "victim"
    victim.write_bytes(VICTIM)
    (isolated / "out.csv.gz.gz-tmp").symlink_to(victim)
    result = cli("voucher", "--fields", "code", "-o", "out.csv.gz", "--json")
    assert result.exit_code == 0, result.output
    assert victim.read_bytes() == VICTIM
    import gzip

    assert gzip.decompress((isolated / "out.csv.gz").read_bytes()) == server_file(sandbox, result.stdout)


def test_a_state_lock_symlink_is_not_followed(cli: Cli, isolated: Path) -> None:
    victim = isolated / "victim"
    victim.write_bytes(VICTIM)
    (isolated / "state.json.lock").symlink_to(victim)
    before = cli.export_count()
    result = cli("order", "--fields", "id", "--since-last", "state.json", "-o", "o.csv")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "state.json.lock is a symbolic link" in collapsed(result.stderr)
    assert victim.read_bytes() == VICTIM
    assert cli.export_count() == before


# --- 6. a replaced file keeps its mode and owner -----------------------------------------------------------


def test_force_keeps_the_replaced_targets_mode_and_owner(cli: Cli, isolated: Path) -> None:
    target = isolated / "pii.csv"
    target.write_bytes(b"old\n")
    target.chmod(0o600)
    owner = (target.stat().st_uid, target.stat().st_gid)
    if os.geteuid() == 0:
        os.chown(target, 4321, 4322)  # root may keep a file's owner too
        owner = (4321, 4322)
    result = cli("customer", "--fields", "email", "-o", "pii.csv", "--force")
    assert result.exit_code == 0, result.output
    assert target.read_bytes() != b"old\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert (target.stat().st_uid, target.stat().st_gid) == owner


def test_a_state_file_update_keeps_its_mode(cli: Cli, isolated: Path) -> None:
    state = isolated / "state.json"
    args = ("order", "--fields", "id", "--since-last", "state.json", "--state-key", "crm")
    assert cli(*args, "-o", "first.csv").exit_code == 0
    state.chmod(0o600)
    result = cli(*args, "-o", "second.csv")
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


# --- 7. state and manifests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "shown"),
    [("y", "a str"), ({"watermark": 12345}, "watermark 12345"), ({"watermark": None}, "watermark None")],
)
def test_a_state_entry_of_the_wrong_type_is_exit_2_not_a_full_export(
    cli: Cli, isolated: Path, entry: object, shown: str
) -> None:
    (isolated / "state.json").write_text(json.dumps({"version": 1, "exports": {"crm": entry}}))
    before = cli.export_count()
    result = cli("order", "--fields", "id", "--since-last", "state.json", "--state-key", "crm", "-o", "o.csv")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert f"the entry of crm is not an exportctl state entry ({shown}" in collapsed(result.stderr)
    assert cli.export_count() == before
    assert not (isolated / "o.csv").exists()


def test_a_state_file_in_a_missing_directory_is_exit_2(cli: Cli, isolated: Path) -> None:
    before = cli.export_count()
    result = cli("order", "--fields", "id", "--since-last", "nowhere/state.json", "-o", "o.csv")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "The directory of the state file, nowhere, does not exist" in collapsed(result.stderr)
    assert "mkdir -p nowhere" in result.stderr
    assert cli.export_count() == before


SPLIT: tuple[str, ...] = ("voucher", "--fields", "code,created_at", "--split-by", "month")
SPLIT += ("--since", "2024-01-01", "--until", "2024-03-01", "-o", "v.csv")


def test_a_parts_path_that_is_a_file_is_exit_2_before_submitting(cli: Cli, isolated: Path) -> None:
    (isolated / "v.csv.parts").write_text("not a directory")
    before = cli.export_count()
    result = cli(*SPLIT)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "v.csv.parts exists and is not a directory" in collapsed(result.stderr)
    assert "Traceback" not in result.output
    assert cli.export_count() == before


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda m: m.update(windows=5), "'windows' is int 5, expected a list"),
        (lambda m: m["windows"][0].update(rows="x"), "windows[0].rows is str 'x', expected a whole number"),
        (lambda m: m["windows"].__setitem__(0, "w"), "windows[0] is str 'w', expected an object"),
    ],
)
def test_a_damaged_split_manifest_is_exit_2_not_a_traceback(
    cli: Cli, isolated: Path, damage: object, problem: str
) -> None:
    cli.sandbox.faults.fail_next_job()
    failed = cli(*SPLIT, "--parallel", "2")  # one window fails, the other is saved
    assert failed.exit_code == ExitCode.EXPORT_FAILED, failed.output
    manifest_file = isolated / "v.csv.manifest.json"
    manifest = json.loads(manifest_file.read_text())
    manifest["windows"].sort(key=lambda w: w["status"] != "saved")  # a saved window first
    assert callable(damage)
    damage(manifest)
    manifest_file.write_text(json.dumps(manifest))

    result = cli(*SPLIT)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert f"v.csv.manifest.json is damaged: {problem}" in collapsed(result.stderr)
    assert not (isolated / "v.csv").exists()


def test_run_parallel_with_two_exports_sharing_one_state_file_does_not_lock_itself_out(
    cli: Cli, isolated: Path
) -> None:
    (isolated / "nightly.yaml").write_text(
        "defaults:\n"
        "  incremental: {state: state.json}\n"
        "exports:\n"
        "  - {name: orders, object: order, output: orders.csv, parameters: {fields: [id]}}\n"
        "  - {name: customers, object: customer, output: customers.csv, parameters: {fields: [id]}}\n"
    )
    result = cli("run", "nightly.yaml", "--parallel", "2", "--json")
    assert result.exit_code == 0, result.output
    assert [item["exit_code"] for item in json.loads(result.stdout)["exports"]] == [0, 0]
    assert len(json.loads((isolated / "state.json").read_text())["exports"]) == 2


def test_a_missing_output_directory_is_created_under_the_umask(cli: Cli, isolated: Path) -> None:
    old = os.umask(0o027)
    try:
        result = cli("voucher", "-o", "exports/daily/v.csv")
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert (isolated / "exports" / "daily" / "v.csv").is_file()
    assert stat.S_IMODE((isolated / "exports").stat().st_mode) == 0o750
    assert stat.S_IMODE((isolated / "exports" / "daily").stat().st_mode) == 0o750


def test_a_dangling_link_on_the_output_path_is_refused_before_an_export_is_made(cli: Cli, isolated: Path) -> None:
    (isolated / "exports").symlink_to(isolated / "elsewhere")
    before = cli.export_count()
    result = cli("voucher", "-o", "exports/daily/v.csv")
    assert result.exit_code == 2, result.output
    assert "exports is a symbolic link to nothing" in collapsed(result.stderr) and "rm exports" in result.stderr
    assert cli.export_count() == before
    assert not (isolated / "elsewhere").exists()


# --- 8. state files are documents of the state store (exportctl/state/) -----------------------------------


def test_a_symlinked_state_file_is_refused_and_its_target_untouched(cli: Cli, isolated: Path) -> None:
    victim = isolated / "victim.json"
    victim.write_text('{"version": 1, "exports": {}}')
    (isolated / "state.json").symlink_to(victim)
    before = cli.export_count()
    result = cli("voucher", "--since-last", "state.json", "-o", "v.csv")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "state.json is a symbolic link, which exportctl never reads or writes through" in collapsed(result.stderr)
    assert cli.export_count() == before
    assert victim.read_text() == '{"version": 1, "exports": {}}' and not (isolated / "v.csv").exists()


def test_a_state_file_of_a_newer_exportctl_is_refused_not_overwritten(cli: Cli, isolated: Path) -> None:
    newer = {"version": 2, "exports": {}, "what": "a newer format"}
    (isolated / "state.json").write_text(json.dumps(newer))
    before = cli.export_count()
    result = cli("voucher", "--since-last", "state.json", "-o", "v.csv")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "written by a newer exportctl (format version 2; this one reads up to 1)" in collapsed(result.stderr)
    assert cli.export_count() == before
    assert json.loads((isolated / "state.json").read_text()) == newer


def test_a_directory_in_the_split_manifests_place_is_refused_before_submitting(cli: Cli, isolated: Path) -> None:
    (isolated / "o.csv.manifest.json").mkdir()
    before = cli.export_count()
    result = cli("order", "--split-by", "month", "--since", "2024-09-01", "--until", "2024-11-01", "-o", "o.csv")
    assert result.exit_code == ExitCode.USAGE, result.output
    assert "o.csv.manifest.json is a directory, not a file" in collapsed(result.stderr)
    assert cli.export_count() == before


# --- the table in docs/reliability.md --------------------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


def test_docs_list_exactly_these_disk_cases() -> None:
    """docs/reliability.md's "Data on disk" table names a test of this module per row, with its exit code."""
    rows: dict[str, int] = {}
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Data on disk", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"\d+", cells[2]):
            rows[cells[4].strip("`")] = int(cells[2])
    here = {
        name for name in globals() if name.startswith("test_") and name != "test_docs_list_exactly_these_disk_cases"
    }
    assert set(rows) == here
    assert rows == DISK_EXITS


DISK_EXITS = {
    "test_two_overlapping_runs_never_mix_and_the_later_one_does_not_replace": ExitCode.USAGE,
    "test_a_character_device_target_is_written_into_not_replaced": ExitCode.OK,
    "test_a_fifo_target_is_written_into_without_force": ExitCode.OK,
    "test_dev_stdout_works_like_a_dash": ExitCode.OK,
    "test_a_part_file_symlink_is_refused_before_anything_is_submitted": ExitCode.USAGE,
    "test_a_planted_gzip_temporary_symlink_is_not_followed": ExitCode.OK,
    "test_a_state_lock_symlink_is_not_followed": ExitCode.USAGE,
    "test_force_keeps_the_replaced_targets_mode_and_owner": ExitCode.OK,
    "test_a_state_file_update_keeps_its_mode": ExitCode.OK,
    "test_a_state_entry_of_the_wrong_type_is_exit_2_not_a_full_export": ExitCode.USAGE,
    "test_a_state_file_in_a_missing_directory_is_exit_2": ExitCode.USAGE,
    "test_a_parts_path_that_is_a_file_is_exit_2_before_submitting": ExitCode.USAGE,
    "test_a_damaged_split_manifest_is_exit_2_not_a_traceback": ExitCode.USAGE,
    "test_run_parallel_with_two_exports_sharing_one_state_file_does_not_lock_itself_out": ExitCode.OK,
    "test_a_missing_output_directory_is_created_under_the_umask": ExitCode.OK,
    "test_a_dangling_link_on_the_output_path_is_refused_before_an_export_is_made": ExitCode.USAGE,
    "test_a_symlinked_state_file_is_refused_and_its_target_untouched": ExitCode.USAGE,
    "test_a_state_file_of_a_newer_exportctl_is_refused_not_overwritten": ExitCode.USAGE,
    "test_a_directory_in_the_split_manifests_place_is_refused_before_submitting": ExitCode.USAGE,
}

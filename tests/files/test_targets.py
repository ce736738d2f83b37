"""Target names, the checks made before submitting, and the .part + rename writes."""

from __future__ import annotations

import gzip
import os
import stat
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from exportctl.errors import OutputError, UsageError, ValidationError
from exportctl.files.atomic import AtomicWriter, part_path, write_atomically
from exportctl.files.targets import check_target, needs_export_id, preflight_target, resolve_target

NOW = datetime(2024, 3, 9, 7, 5, 3)


def test_default_template() -> None:
    target = resolve_target(None, command="voucher", export_id="exp_abc", output_dir=None, now=NOW)
    assert target == Path("voucher-exp_abc.csv")


def test_every_placeholder_and_output_dir(tmp_path: Path) -> None:
    target = resolve_target(
        "{object}/{date}T{time}-{id}.csv.gz",
        command="gift-card-transactions",
        export_id="exp_1",
        output_dir=str(tmp_path),
        now=NOW,
    )
    assert target == tmp_path / "gift-card-transactions" / "2024-03-09T070503-exp_1.csv.gz"


def test_absolute_template_ignores_output_dir(tmp_path: Path) -> None:
    target = resolve_target(str(tmp_path / "x.csv"), command="order", export_id=None, output_dir="/elsewhere", now=NOW)
    assert target == tmp_path / "x.csv"


def test_stdout() -> None:
    assert resolve_target("-", command="order", export_id=None, output_dir="/x", now=NOW) == "-"
    assert not needs_export_id("-")


def test_unknown_placeholder_lists_valid_ones() -> None:
    with pytest.raises(ValidationError) as caught:
        resolve_target("{objet}-{id}.csv", command="order", export_id="e", output_dir=None, now=NOW)
    message = str(caught.value)
    assert "{objet}" in message
    assert "Did you mean '{object}'?" in message
    assert "{object}, {id}, {date}, {time}" in message


@pytest.mark.parametrize("template", ["{id", "x}", "{}.csv", "{id!r}.csv", "{date:%Y}.csv"])
def test_malformed_templates_are_usage_errors(template: str) -> None:
    with pytest.raises(UsageError):
        resolve_target(template, command="order", export_id="e", output_dir=None, now=NOW)


def test_literal_braces() -> None:
    target = resolve_target("{{x}}-{id}.csv", command="order", export_id="e", output_dir=None, now=NOW)
    assert target == Path("{x}-e.csv")


def test_needs_export_id() -> None:
    assert needs_export_id(None)
    assert needs_export_id("{id}.csv")
    assert not needs_export_id("{object}-{date}.csv")
    with pytest.raises(ValueError, match="needs the export id"):
        resolve_target("{id}.csv", command="order", export_id=None, output_dir=None, now=NOW)


def test_export_id_cannot_leave_the_directory() -> None:
    target = resolve_target("{id}.csv", command="order", export_id="../../etc/passwd", output_dir=None, now=NOW)
    assert target == Path(".._.._etc_passwd.csv")
    assert target.parent == Path(".")


def test_check_target_existing_file(tmp_path: Path) -> None:
    existing = tmp_path / "a.csv"
    existing.write_text("x")
    with pytest.raises(UsageError, match="already exists") as caught:
        check_target(existing, force=False)
    assert caught.value.hint is not None and "--force" in caught.value.hint
    check_target(existing, force=True)
    check_target(tmp_path / "new.csv", force=False)
    check_target("-", force=False)


def test_check_target_missing_or_bad_directory(tmp_path: Path) -> None:
    check_target(tmp_path / "missing" / "a.csv", force=False)  # created when the file is written
    assert not (tmp_path / "missing").exists()
    a_file = tmp_path / "file"
    a_file.write_text("")
    with pytest.raises(UsageError, match="is not a directory"):
        check_target(a_file / "a.csv", force=False)
    with pytest.raises(UsageError, match="is a directory"):
        check_target(tmp_path, force=True)


def test_preflight(tmp_path: Path) -> None:
    kwargs = {"command": "order", "now": NOW}
    fixed = preflight_target("fixed.csv", output_dir=str(tmp_path), force=False, **kwargs)  # type: ignore[arg-type]
    assert fixed == tmp_path / "fixed.csv"
    assert preflight_target(None, output_dir=str(tmp_path), force=False, **kwargs) is None  # type: ignore[arg-type]
    assert preflight_target(None, output_dir=str(tmp_path / "nope"), force=False, **kwargs) is None  # type: ignore[arg-type]
    assert not (tmp_path / "nope").exists()  # a check never creates it
    (tmp_path / "a-file").write_text("")
    with pytest.raises(UsageError, match="is a file"):
        preflight_target(None, output_dir=str(tmp_path / "a-file" / "sub"), force=False, **kwargs)  # type: ignore[arg-type]
    (tmp_path / "fixed.csv").write_text("keep")
    with pytest.raises(UsageError, match="already exists"):
        preflight_target("fixed.csv", output_dir=str(tmp_path), force=False, **kwargs)  # type: ignore[arg-type]
    # The id names a directory that cannot exist yet: nothing to check until it is known.
    assert preflight_target("{id}/x.csv", output_dir=str(tmp_path), force=False, **kwargs) is None  # type: ignore[arg-type]


def test_write_atomically(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    assert write_atomically(target, [b"a,b\n", b"1,2\n"]) == 8
    assert target.read_bytes() == b"a,b\n1,2\n"
    assert not part_path(target).exists()


def test_write_atomically_failure_leaves_old_target(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_bytes(b"old")

    def chunks() -> Iterator[bytes]:
        yield b"new"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_atomically(target, chunks(), force=True)
    assert target.read_bytes() == b"old"
    assert not part_path(target).exists()


def test_commit_refuses_a_target_that_appeared(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    writer = AtomicWriter(target, key="exp_1")
    writer.open()
    writer.write(b"data")
    target.write_bytes(b"someone else's")
    with pytest.raises(UsageError, match="appeared"):
        writer.commit()
    assert target.read_bytes() == b"someone else's"
    assert part_path(target).read_bytes() == b"data"


def test_unfinished_part_is_kept_and_resumed_by_the_same_key_only(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with AtomicWriter(target, key="exp_1") as writer:
        writer.open()
        writer.write(b"0123456789")
    assert not target.exists()
    assert part_path(target).read_bytes() == b"0123456789"

    assert AtomicWriter(target, key="exp_2").resumable_size() == 0
    assert AtomicWriter(target, key=None).resumable_size() == 0
    again = AtomicWriter(target, key="exp_1")
    assert again.resumable_size() == 10
    # A resume may start earlier than the end of the .part (the server's Range answer decides).
    again.open(offset=6)
    again.write(b"6789ab")
    again.commit()
    assert target.read_bytes() == b"0123456789ab"
    assert not part_path(target).exists()
    assert not target.with_name("out.csv.part.json").exists()


def test_part_of_another_export_is_overwritten_not_appended(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with AtomicWriter(target, key="exp_1") as writer:
        writer.open()
        writer.write(b"first export")
    other = AtomicWriter(target, key="exp_2")
    other.open(offset=other.resumable_size())
    other.write(b"second")
    other.commit()
    assert target.read_bytes() == b"second"


def test_gz_target_is_compressed_on_commit(tmp_path: Path) -> None:
    target = tmp_path / "out.csv.gz"
    data = b"code,value\n" + b"ABC,1\n" * 1000
    write_atomically(target, [data])
    assert target.read_bytes()[:2] == b"\x1f\x8b"
    assert gzip.decompress(target.read_bytes()) == data
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv.gz"]


def test_a_planted_part_symlink_is_never_written_through(tmp_path: Path) -> None:
    """A `.part` that is a symbolic link (to /dev/full, or to a victim) is refused, not followed."""
    target = tmp_path / "out.csv"
    target.write_bytes(b"previous")
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious")
    part_path(target).symlink_to(victim)
    writer = AtomicWriter(target, key="exp_1", force=True)
    with pytest.raises(OutputError, match="symbolic link") as caught:
        writer.open(offset=0)
    assert str(part_path(target)) in str(caught.value)
    assert target.read_bytes() == b"previous"
    assert victim.read_bytes() == b"precious"


def test_a_missing_directory_is_created_with_its_parents_under_the_umask(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c.csv"
    old = os.umask(0o027)
    try:
        check_target(target, force=False, create=True)
    finally:
        os.umask(old)
    assert (tmp_path / "a" / "b").is_dir()
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o750


@pytest.mark.parametrize("how", ["dangling link", "file", "link to a file"])
def test_a_directory_that_cannot_be_created_is_a_clear_message(tmp_path: Path, how: str) -> None:
    blocker = tmp_path / "exports"
    if how == "dangling link":
        blocker.symlink_to(tmp_path / "nowhere")
    elif how == "file":
        blocker.write_text("")
    else:
        (tmp_path / "a-file").write_text("")
        blocker.symlink_to(tmp_path / "a-file")
    for target in (blocker / "x.csv", blocker / "daily" / "x.csv"):
        with pytest.raises(UsageError) as caught:
            check_target(target, force=False, create=True)
        expected = (
            "symbolic link to nothing"
            if how == "dangling link"
            else "a file"
            if "daily" in str(target)
            else "not a directory"
        )
        assert str(blocker) in caught.value.message and expected in caught.value.message, caught.value.message
    assert not (tmp_path / "nowhere").exists(), "nothing is created where the link points"


def test_a_read_only_parent_is_named(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o555)
    with pytest.raises(UsageError, match="is not writable"):
        check_target(locked / "new" / "x.csv", force=False, create=True)

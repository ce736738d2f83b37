"""Inferred kinds in the same pass as the rows: guessed from the first records, checked on every record.

A column whose kind is inferred (metadata keys, unknown titles: types.Inference) takes a kind only once every
value of the file has been seen, which used to cost a whole pass over the CSV before the typed one. Here the
kinds are guessed from the first `FIRST_LOOK` records, the typed pass starts at once, and `Watch.observe`
keeps inferring from every record as it is read, before it is written: while each guess stays the first
kind that every value so far fits, the guess is the kind the full pass would give, since a kind only ever
drops out. When one changes, `KindChanged` is raised; the caller throws away what it wrote (the temporary
file, the savepoint) and starts again with the kinds of a full pass. So the output is the same either way.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from exportctl.formats.types import INFERRED_KINDS, Column, Inference, Kind

FIRST_LOOK = 2000
# The texts of a column remembered as seen, at most, and the longest one: memory stays small whatever the file.
SEEN_LIMIT = 4096
SEEN_TEXT = 40


class KindChanged(Exception):
    """A value later in the file changed an inferred column's kind: the pass must start again."""


class Watch:
    """Inferred columns with their guessed kinds, and their inference continued record by record."""

    def __init__(self, pending: dict[int, Kind], resumed: Iterable[int] = ()) -> None:
        # Per column: its inference, its guessed kind, the texts it has seen (a value repeated adds nothing).
        # A `resumed` column's inference starts where the first look left it (it saw values there).
        again = set(resumed)
        self._pending = [
            (i, _Resumed(kind) if i in again else Inference(), kind, set[str]()) for i, kind in pending.items()
        ]

    def observe(self, record: Sequence[str]) -> None:
        """Take the next record's cells into the inference; KindChanged when a guess no longer holds."""
        settled = False
        for i, inference, kind, seen in self._pending:
            text = record[i] if i < len(record) else ""
            if text and text not in seen:
                inference.observe(text)
                if inference.kind is not kind:
                    raise KindChanged(i)
                if len(seen) < SEEN_LIMIT and len(text) <= SEEN_TEXT:
                    seen.add(text)
                settled = settled or _settled(inference)
        if settled:  # a column all kinds but STRING dropped out of stays a string column: no need to watch it
            self._pending = [entry for entry in self._pending if not _settled(entry[1])]


class _Resumed(Inference):
    """An inference that has seen values, every one of which fitted `kind` and none an earlier kind."""

    def __init__(self, kind: Kind) -> None:
        super().__init__()
        self._possible = list(INFERRED_KINDS[INFERRED_KINDS.index(kind) :])
        self.seen = 1


def _settled(inference: Inference) -> bool:
    return inference.seen > 0 and inference.kind is Kind.STRING


@dataclass(frozen=True)
class Guesses:
    """The first look's answer for the inferred columns, to be checked on every record of the file.

    `kinds`: column index -> guessed kind; `seen`: those that had a value in the first records. `watch()`
    checks records from anywhere in the file, a range read by itself (formats/jsonl_parallel.py) as well as
    the whole file from its first record: the inference of a column that had values resumes from the first
    look's state, so every value must fit the guessed kind, which the first look already preferred to every
    kind before it; a column that had none starts afresh. (A fresh inference from the first record would
    see `1` in a column guessed DOUBLE for a `1.5` later in the first look as an INTEGER column, a change,
    and have the file written twice for nothing.) Columns that turned out text cannot change: not watched.
    """

    kinds: dict[int, Kind]
    seen: frozenset[int]

    def watch(self) -> Watch | None:
        """The Watch of these guesses (None when no column is watched)."""
        pending = {i: k for i, k in self.kinds.items() if not (i in self.seen and k is Kind.STRING)}
        return Watch(pending, resumed=self.seen & pending.keys()) if pending else None


def first_guesses(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> tuple[list[Column], Guesses]:
    """`columns` with each inferred kind guessed from the first records of `rows` (the records after the
    header), and the guesses, to be checked on every record."""
    pending = {i: Inference() for i, column in enumerate(columns) if column.kind is None}
    if pending:
        for row in itertools.islice(rows, FIRST_LOOK):
            for i, inference in pending.items():
                if i < len(row):
                    inference.observe(row[i])
    guessed = [column.with_kind(pending[i].kind) if i in pending else column for i, column in enumerate(columns)]
    seen = frozenset(i for i, inference in pending.items() if inference.seen)
    return guessed, Guesses({i: inference.kind for i, inference in pending.items()}, seen)


def sql_guesses(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> tuple[list[Column], list[int]] | None:
    """For a typed SELECT (duckdb_sql), which sees a value only as fitting its column's kind or not: `columns`
    with the inferred kinds guessed from the first records of `rows`, and the columns whose guess a value that
    does not fit proves wrong (a guess of STRING from values stays STRING). None when no kind is inferred, or
    when an inferred column has no value among the first records: its guess (STRING) would stand unchecked."""
    guessed, guesses = first_guesses(columns, rows)
    if not guesses.kinds or guesses.seen != guesses.kinds.keys():
        return None
    return guessed, [i for i, kind in guesses.kinds.items() if kind is not Kind.STRING]

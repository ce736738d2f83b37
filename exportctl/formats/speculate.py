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

from exportctl.formats.types import Column, Inference, Kind, infer

FIRST_LOOK = 2000
# The texts of a column remembered as seen, at most, and the longest one: memory stays small whatever the file.
SEEN_LIMIT = 4096
SEEN_TEXT = 40


class KindChanged(Exception):
    """A value later in the file changed an inferred column's kind: the pass must start again."""


class Watch:
    """Inferred columns with their guessed kinds, and their inference continued record by record."""

    def __init__(self, pending: dict[int, Kind]) -> None:
        # Per column: its inference, its guessed kind, the texts it has seen (a value repeated adds nothing).
        self._pending = [(i, Inference(), kind, set[str]()) for i, kind in pending.items()]

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


def _settled(inference: Inference) -> bool:
    return inference.seen > 0 and inference.kind is Kind.STRING


def first_look(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> tuple[list[Column], Watch | None]:
    """`columns` with each inferred kind guessed from the first records of `rows` (the records after the
    header), and the Watch that checks the guesses (None when no kind is inferred)."""
    if all(column.kind is not None for column in columns):
        return list(columns), None
    guessed = infer(columns, itertools.islice(rows, FIRST_LOOK))
    pending = {i: guessed[i].kind for i, column in enumerate(columns) if column.kind is None}
    return guessed, Watch({i: kind for i, kind in pending.items() if kind is not None})


def sql_guesses(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> tuple[list[Column], list[int]] | None:
    """For a typed SELECT (duckdb_sql), which sees a value only as fitting its column's kind or not: `columns`
    with the inferred kinds guessed from the first records of `rows`, and the columns whose guess a value that
    does not fit proves wrong (a guess of STRING from values stays STRING). None when no kind is inferred, or
    when an inferred column has no value among the first records: its guess (STRING) would stand unchecked."""
    pending = [i for i, column in enumerate(columns) if column.kind is None]
    if not pending:
        return None
    first = list(itertools.islice(rows, FIRST_LOOK))
    if any(not any(i < len(row) and row[i] for row in first) for i in pending):
        return None
    guessed = infer(columns, first)
    return guessed, [i for i in pending if guessed[i].kind is not Kind.STRING]

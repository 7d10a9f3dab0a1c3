"""Renames without a hint in the models: answered ahead of time (`--rename`, `--rename-table`), or
asked about, one drop + add pair at a time (the prompt of `generate`).

The answers are a `Renames` value for `compare`; asking is a callable that the caller supplies
(the CLI asks in a terminal), so the library never reads a terminal itself.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional

from . import ops as o
from .compare import compare
from .errors import SchemadiffError
from .rename_candidates import Candidate, candidates
from .renames import Renames
from .snapshot import Snapshot

#: Asked about a pair that may be a rename: True makes it one.
Ask = Callable[[Candidate], bool]


def parse_flags(columns: Iterable[str] = (), tables: Iterable[str] = ()) -> Renames:
    """The renames of `--rename [SCHEMA.]TABLE.OLD=NEW` and `--rename-table [SCHEMA.]OLD=NEW` values."""
    column_renames = []
    for value in columns:
        *names, new = _split(value, "--rename", "[SCHEMA.]TABLE.OLD=NEW", (2, 3))
        *schema, table, old = names
        column_renames.append(((schema[0] if schema else "", table), old, new))
    table_renames = []
    for value in tables:
        *names, new = _split(value, "--rename-table", "[SCHEMA.]OLD=NEW", (1, 2))
        *schema, old = names
        table_renames.append(((schema[0] if schema else "", old), new))
    return Renames(tables=tuple(table_renames), columns=tuple(column_renames))


def _split(value: str, option: str, form: str, parts: tuple[int, ...]) -> list[str]:
    left, equals, new = value.partition("=")
    names = left.split(".")
    if (
        not equals
        or len(names) not in parts
        or not all(n.strip() for n in names + [new])
        or "." in new
    ):
        raise SchemadiffError(f"{option} {value!r}: expected {form}, e.g. {_EXAMPLES[option]}")
    return [n.strip() for n in names] + [new.strip()]


_EXAMPLES = {"--rename": "users.name=full_name", "--rename-table": "users=accounts"}


def require_known(
    renames: Renames, current: Snapshot, target: Snapshot, hints: Renames = Renames()
) -> None:
    """Each rename names a table or column of the database and one of the models; else one line.

    A column rename names its table as the models do: the database may have it under the old
    name that `renames` or the models' `hints` give."""
    for (schema, old), new in renames.tables:
        flag = Candidate((schema, old), old, new, is_table=True).flag
        if current.table(old, schema or None) is None:
            raise SchemadiffError(f"{flag}: the database has no table {o.qualified(schema, old)}")
        if target.table(new, schema or None) is None:
            raise SchemadiffError(f"{flag}: the models have no table {o.qualified(schema, new)}")
    renamed_from = {(schema, new): old for (schema, old), new in (hints | renames).tables}
    for (schema, table), old, new in renames.columns:
        flag = Candidate((schema, table), old, new).flag
        model = target.table(table, schema or None)
        if model is None or model.column(new) is None:
            raise SchemadiffError(
                f"{flag}: the models have no column {o.qualified(schema, table)}.{new}"
            )
        name = renamed_from.get((schema, table), table)
        database = current.table(name, schema or None)
        if database is None or database.column(old) is None:
            raise SchemadiffError(
                f"{flag}: the database has no column {o.qualified(schema, name)}.{old}"
            )


def settle(
    current: Snapshot, target: Snapshot, renames: Renames = Renames(), ask: Optional[Ask] = None
) -> list[o.Op]:
    """The ops from `current` to `target`, where `renames` and the yes answers of `ask` rename.

    With `ask`, each drop + add pair that may be a rename is asked about once; the yes answers
    join `renames` and the comparison runs again, since a renamed table can show renamed columns.
    """
    asked: set[Candidate] = set()
    while True:
        ops = compare(current, target, renames)
        pending = candidates(ops, declined=asked) if ask is not None else []
        if not pending:
            return ops
        for candidate in pending:
            asked.add(candidate)
            if ask(candidate):
                renames |= candidate.renames

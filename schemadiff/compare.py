"""Two Snapshots -> the ordered list of Ops that turns the first into the second.

Pure: no database, no dialect. Dialect differences were folded into the snapshots already.
Order follows dependencies: foreign keys that go away are dropped first, new tables are created
referenced-first, new foreign keys are added last, and dropped tables go referencing-first.
The reverse of the list (each op reversed, in reverse order) is therefore valid too.
"""

from __future__ import annotations

import dataclasses
from typing import Iterable, Optional, Sequence, TypeVar

from . import ops as o
from .rename_ops import rename_ops
from .renames import Renames
from .errors import SchemadiffError
from .snapshot import Domain, Enum, ForeignKey, Index, Snapshot, Table, definition_key
from .state import apply_all

T = TypeVar("T")


def compare(current: Snapshot, target: Snapshot, renames: Renames = Renames()) -> list[o.Op]:
    """Ops that take a database at `current` to `target` (the models).

    Tables and columns named in `renames` are renamed (and so keep their rows) instead of dropped
    and created; their other changes follow the renames.
    """
    if renames.tables or renames.columns:
        prelude = rename_ops(current, target, renames)
        return prelude + compare(apply_all(current, prelude), target)
    cur_tables = {t.key: t for t in current.tables}
    new_tables = {t.key: t for t in target.tables}
    added = [new_tables[k] for k in sorted(new_tables.keys() - cur_tables.keys())]
    removed = [cur_tables[k] for k in sorted(cur_tables.keys() - new_tables.keys())]
    kept = [(cur_tables[k], new_tables[k]) for k in sorted(cur_tables.keys() & new_tables.keys())]

    table_diffs = [_TableDiff(a, b) for a, b in kept if a != b]  # most tables are unchanged
    create_ops, late_fks = _create_tables(added)
    drop_ops, early_fk_drops = _drop_tables(removed)
    enum_adds, enum_alters, enum_drops = _compare_enums(current.enums, target.enums)
    domain_adds, domain_alters, domain_drops = _compare_domains(current.domains, target.domains)

    result: list[o.Op] = []
    for d in table_diffs:
        result += d.fk_drops
    result += early_fk_drops
    result += enum_adds + enum_alters
    result += domain_adds + domain_alters  # a domain's base type may be an enum
    result += create_ops
    for d in table_diffs:
        result += d.body
    for d in table_diffs:
        result += d.fk_adds
    result += late_fks
    result += drop_ops
    result += domain_drops
    result += enum_drops
    return result


# -- tables created and dropped --------------------------------------------------------------


def _create_tables(tables: list[Table]) -> tuple[list[o.Op], list[o.Op]]:
    """CreateTable ops referenced-first; FKs that close a cycle are split out to be added after."""
    ordered, cyclic = _dependency_order(tables)
    creates, late = [], []
    for table in ordered:
        _creatable(table, table.indexes)
        deferred = [fk for fk in table.foreign_keys if (table.key, _fk_key(fk)) in cyclic]
        if deferred:
            keep = tuple(fk for fk in table.foreign_keys if fk not in deferred)
            table = dataclasses.replace(table, foreign_keys=keep)
            late += [o.AddConstraint(table.name, fk, table.schema) for fk in deferred]
        creates.append(o.CreateTable(table))
    return creates, late


def _drop_tables(tables: list[Table]) -> tuple[list[o.Op], list[o.Op]]:
    """The mirror of _create_tables, so that the reverse of the drops is a valid create."""
    creates, late = _create_tables(tables)
    drops = [op.reverse() for op in reversed(creates)]
    return drops, [op.reverse() for op in reversed(late)]


def _fk_key(fk: ForeignKey) -> str:
    return definition_key(fk) + (fk.name or "")


def _dependency_order(tables: list[Table]) -> tuple[list[Table], set]:
    """Tables sorted so that each comes after the tables it references (among `tables`).

    Returns the order and the set of (table key, fk key) whose FK must wait because it
    closes a cycle (a self-reference is fine inline and never waits).
    """
    by_key = {t.key: t for t in tables}
    done: list[Table] = []
    placed: set = set()
    cyclic: set = set()
    visiting: set = set()

    def visit(table: Table) -> None:
        visiting.add(table.key)
        for fk in table.foreign_keys:
            ref = (fk.ref_schema or "", fk.ref_table)
            if ref == table.key or ref not in by_key or ref in placed:
                continue
            if ref in visiting:
                cyclic.add((table.key, _fk_key(fk)))
                continue
            visit(by_key[ref])
        visiting.discard(table.key)
        placed.add(table.key)
        done.append(table)

    for table in tables:
        if table.key not in placed:
            visit(table)
    return done, cyclic


# -- tables on both sides ----------------------------------------------------------------------


class _TableDiff:
    """Ops for one table present on both sides, split by when they must run."""

    def __init__(self, current: Table, target: Table):
        self.cur, self.new = current, target
        self.name, self.schema = target.name, target.schema
        fk_gone, fk_new = match_items(current.foreign_keys, target.foreign_keys)
        idx_gone, idx_new = match_items(current.indexes, target.indexes)
        uq_gone, uq_new = match_items(current.uniques, target.uniques)
        ck_gone, ck_new = match_items(current.checks, target.checks)
        pk_gone, pk_new = match_items(_opt(current.primary_key), _opt(target.primary_key))

        self.fk_drops = self._drop(fk_gone)
        self.fk_adds = self._add(fk_new)
        self.body = (
            [o.DropIndex(self.name, i, self.schema) for i in idx_gone]
            + self._drop(uq_gone + ck_gone + pk_gone)
            + self._columns()
            + self._add(pk_new + uq_new + ck_new)
            + [o.CreateIndex(self.name, i, self.schema) for i in _creatable(target, idx_new)]
            + self._comment()
        )

    def _drop(self, constraints) -> list[o.Op]:
        return [o.DropConstraint(self.name, c, self.schema) for c in constraints]

    def _add(self, constraints) -> list[o.Op]:
        return [o.AddConstraint(self.name, c, self.schema) for c in constraints]

    def _columns(self) -> list[o.Op]:
        cur = {c.name: c for c in self.cur.columns}
        new_names = {c.name for c in self.new.columns}
        result: list[o.Op] = []
        for col in self.new.columns:
            old = cur.get(col.name)
            if old is None:
                result.append(o.AddColumn(self.name, col, self.schema))
            elif old != col and old.computed != col.computed:
                # A generated column cannot be altered into another one: replace it.
                result.append(o.DropColumn(self.name, old, self.schema))
                result.append(o.AddColumn(self.name, col, self.schema))
            elif old != col:
                result.append(o.AlterColumn(self.name, old, col, self.schema))
        result += [
            o.DropColumn(self.name, c, self.schema) for c in self.cur.columns if c.name not in new_names
        ]
        return result

    def _comment(self) -> list[o.Op]:
        if self.cur.comment == self.new.comment:
            return []
        return [o.SetTableComment(self.name, self.new.comment, self.cur.comment, self.schema)]


def _opt(item: Optional[T]) -> tuple[T, ...]:
    return () if item is None else (item,)


def match_items(current: Sequence[T], target: Sequence[T]) -> tuple[list[T], list[T]]:
    """(current items with no equal in target, target items with no equal in current).

    A target item with a name must match by name and definition. A target item the model left
    unnamed matches any current item with the same definition, whatever the database named it,
    and the current item (with its real name) is what a later drop will need.
    """
    unmatched = list(current)
    missing: list[T] = []
    found_for: list[T] = []
    # A current item under a name that a target item takes must go, or the name is taken twice.
    taken = {i.name for i in target if i.name is not None}
    for item in sorted(target, key=lambda i: i.name is None):  # named ones claim first
        found = next(
            (
                c
                for c in unmatched
                if _same(c, item) and (item.name is not None or c.name not in taken)
            ),
            None,
        )
        if found is None:
            missing.append(item)
        else:
            unmatched.remove(found)
            found_for.append(item)
    # The same key declared twice, once unnamed (a column's ForeignKey and a named constraint in
    # __table_args__): where the database has it once, the unnamed repeat is that one.
    held = {definition_key(i) for i in found_for}
    return unmatched, [i for i in missing if i.name is not None or definition_key(i) not in held]


def _same(current, target) -> bool:
    if target.name is not None and current.name != target.name:
        return False
    if isinstance(target, Index) and target.name is not None and not target.elements:
        return True  # `sa.Index(name)` with no columns in the models says the name only
    return definition_key(current) == definition_key(target)


def _creatable(table: Table, indexes: Iterable[Index]) -> list[Index]:
    for index in indexes:
        if not index.elements:
            raise SchemadiffError(
                f"index {index.name or '(unnamed)'} of table {o.qualified(table.schema, table.name)} "
                "has no columns in the models, and the database has no index of that name to "
                "match it: no database can create it, so give it its columns"
            )
    return list(indexes)


# -- enums --------------------------------------------------------------------------------------


def _compare_enums(
    current: Iterable[Enum], target: Iterable[Enum]
) -> tuple[list[o.Op], list[o.Op], list[o.Op]]:
    cur = {e.key: e for e in current}
    new = {e.key: e for e in target}
    adds = [o.CreateEnum(new[k]) for k in sorted(new.keys() - cur.keys())]
    drops = [o.DropEnum(cur[k]) for k in sorted(cur.keys() - new.keys())]
    alters = [
        o.AlterEnum(cur[k], new[k])
        for k in sorted(cur.keys() & new.keys())
        if cur[k].values != new[k].values
    ]
    return adds, alters, drops


# -- domains ------------------------------------------------------------------------------------


def _compare_domains(
    current: Iterable[Domain], target: Iterable[Domain]
) -> tuple[list[o.Op], list[o.Op], list[o.Op]]:
    cur = {d.key: d for d in current}
    new = {d.key: d for d in target}
    adds = [o.CreateDomain(new[k]) for k in sorted(new.keys() - cur.keys())]
    drops = [o.DropDomain(cur[k]) for k in sorted(cur.keys() - new.keys())]
    alters = [o.AlterDomain(cur[k], new[k]) for k in sorted(cur.keys() & new.keys()) if cur[k] != new[k]]
    return adds, alters, drops

"""What an op can break, and how: each hazard has a class, a stable code and a one-line message.

Hazards are found over a list of ops (a diff, or one revision's upgrade or downgrade) on one
dialect, from the schema the list starts at. An op on a table or enum created earlier in the same
list has none: that object is new, so it holds no rows and nothing uses it yet. Which ops rewrite,
rebuild or lock a table is the dialect's knowledge: `Dialect.table_rewrite` and
`Dialect.blocks_writes` answer it, this module only names and explains. SQLite keeps any value in
any column, so type changes lose nothing there; MySQL gives a new NOT NULL column's rows an
implicit value instead of failing. Without a dialect, every hazard that needs none is reported.

| class         | code                | the op                                                           | dialects          |
|---------------|---------------------|------------------------------------------------------------------|-------------------|
| data-loss     | drop-table          | drops a table and its rows                                       | all               |
| data-loss     | drop-column         | drops a column and its values                                    | all               |
| data-loss     | narrow-type         | a type that holds less (VARCHAR(50) -> VARCHAR(20), BIGINT -> INT, NUMERIC scale) | PostgreSQL, MySQL |
| data-loss     | text-to-varchar     | unbounded text gets a length (TEXT -> VARCHAR(n))                | PostgreSQL, MySQL |
| data-loss     | drop-enum-value     | an enum loses a value that rows may hold                         | PostgreSQL, MySQL |
| data-loss     | possible-rename     | a drop that looks like a rename done as drop + add (see rename_candidates) | all     |
| table-rewrite | type-rewrite        | a type change that rewrites every row under an exclusive lock    | PostgreSQL, MySQL |
| table-rewrite | sqlite-rebuild      | SQLite's ALTER TABLE cannot do it: the table is copied into a new one | SQLite       |
| locking       | index-lock          | CREATE INDEX (or a unique/primary key) without CONCURRENTLY blocks writes while it builds | PostgreSQL |
| locking       | set-not-null        | SET NOT NULL scans the whole table under an exclusive lock       | PostgreSQL        |
| locking       | validated-fk        | a foreign key checks every row while writes wait                 | PostgreSQL, MySQL |
| locking       | validated-check     | a check constraint checks every row while writes wait            | PostgreSQL, MySQL |
| may-fail      | not-null-no-default | a NOT NULL column without a default: fails if the table has rows | PostgreSQL, SQLite |
| may-fail      | existing-nulls      | a column becomes NOT NULL: fails if a row holds NULL             | all               |
| may-fail      | new-unique          | a unique constraint or index: fails on duplicate rows            | all               |
| may-fail      | new-primary-key     | a primary key: fails on duplicate or NULL keys                   | all               |
| may-fail      | new-check           | a check constraint: fails if a row breaks it                     | all               |
| may-fail      | new-foreign-key     | a foreign key: fails if a row points at nothing                  | all               |
| may-fail      | type-cast           | a type change across families: values that do not convert fail   | PostgreSQL, MySQL |
| may-fail      | drop-default        | a NOT NULL column loses its default: inserts that omit it fail   | all               |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator, Optional, Sequence

from . import ops as o
from . import snapshot as s
from .ops import qualified
from .rename_candidates import Candidate, CandidateFinder
from .state import apply
from .type_sizes import bounds_text, enum_values, is_string, narrows, widens

if TYPE_CHECKING:
    from .dialects.base import Dialect

CLASSES = ("data-loss", "table-rewrite", "locking", "may-fail")

#: Every code, with its class.
CODES = {
    "drop-table": "data-loss",
    "drop-column": "data-loss",
    "narrow-type": "data-loss",
    "text-to-varchar": "data-loss",
    "drop-enum-value": "data-loss",
    "possible-rename": "data-loss",
    "type-rewrite": "table-rewrite",
    "sqlite-rebuild": "table-rewrite",
    "index-lock": "locking",
    "set-not-null": "locking",
    "validated-fk": "locking",
    "validated-check": "locking",
    "not-null-no-default": "may-fail",
    "existing-nulls": "may-fail",
    "new-unique": "may-fail",
    "new-primary-key": "may-fail",
    "new-check": "may-fail",
    "new-foreign-key": "may-fail",
    "type-cast": "may-fail",
    "drop-default": "may-fail",
}


@dataclass(frozen=True)
class Hazard:
    code: str
    message: str

    @property
    def kind(self) -> str:
        """The hazard's class: data-loss, table-rewrite, locking or may-fail."""
        return CODES[self.code]

    def __str__(self) -> str:
        return f"hazard({self.kind}/{self.code}): {self.message}"

    def as_dict(self) -> dict:
        return {"class": self.kind, "code": self.code, "message": self.message}


class HazardTracker:
    """Follows a list of ops one by one: the schema before each, and what the list created.

    Without a dialect, only the hazards that every database shares are found. Without the start
    schema, the dialect is asked about each op as if its table were unknown.
    """

    def __init__(self, dialect: Optional["Dialect"] = None, start: Optional[s.Snapshot] = None):
        self.dialect = dialect
        self.state = start
        self.created: set = set()  # keys (see _key) of the tables and enums the list created
        self.renames = CandidateFinder()
        # Per table (see _key), column sets that were unique before the list dropped their key.
        self.dropped_keys: dict = {}

    def hazards(self, op: o.Op) -> tuple[Hazard, ...]:
        """The hazards of `op`, the next op of the list."""
        candidate = self.renames.see(op)
        if _key(op) in self.created:
            found: tuple[Hazard, ...] = ()
        else:
            found = (*_hazards(op, self), *_possible_rename(candidate))
        self._follow(op)
        return found

    def holds_key(self, op: o.AddConstraint) -> bool:
        """Whether the new primary key or unique of `op` cannot fail: its columns hold a key the
        table had (one dropped earlier in the list, as when a key's columns are reordered), and
        for a primary key they are NOT NULL already."""
        if not isinstance(op.constraint, (s.PrimaryKey, s.UniqueConstraint)) or self.state is None:
            return False
        table = self.state.table(op.table_name, op.schema)
        if table is None:
            return False
        columns = set(op.constraint.columns)
        keys = [*self.dropped_keys.get(_key(op), ()), *table.unique_column_sets()]
        if isinstance(op.constraint, s.PrimaryKey):
            if any(c is None or c.nullable for c in map(table.column, columns)):
                return False
        return any(key <= columns for key in keys)

    def _follow(self, op: o.Op) -> None:
        if isinstance(op, o.DropConstraint) and isinstance(op.constraint, (s.PrimaryKey, s.UniqueConstraint)):
            self.dropped_keys.setdefault(_key(op), []).append(set(op.constraint.columns))
        if isinstance(op, (o.CreateTable, o.CreateEnum)):
            self.created.add(_key(op))
        elif isinstance(op, o.RenameTable) and _key(op) in self.created:
            self.created.add(("table", op.schema, op.new_name))
        if self.state is not None:
            self.state = apply(self.state, op)


def assess(
    ops: Sequence[o.Op], dialect: Optional["Dialect"] = None, start: Optional[s.Snapshot] = None
) -> list[tuple[Hazard, ...]]:
    """The hazards of each op of `ops`, in order, run on `dialect` from the schema `start`."""
    tracker = HazardTracker(dialect, start)
    return [tracker.hazards(op) for op in ops]


def _key(op: o.Op) -> Optional[tuple[str, Optional[str], str]]:
    """The table or enum that `op` works on, as ("table" or "enum", schema, name)."""
    if isinstance(op, (o.CreateTable, o.DropTable)):
        return "table", op.table.schema, op.table.name
    if isinstance(op, (o.CreateEnum, o.DropEnum)):
        return "enum", op.enum.schema, op.enum.name
    if isinstance(op, o.AlterEnum):
        return "enum", op.new.schema, op.new.name
    if isinstance(op, (o.CreateDomain, o.DropDomain)):
        return "domain", op.domain.schema, op.domain.name
    if isinstance(op, o.AlterDomain):
        return "domain", op.new.schema, op.new.name
    if isinstance(op, o.RenameTable):
        return "table", op.schema, op.old_name
    if isinstance(op, o.Execute):
        return None
    return "table", op.schema, op.table_name


def _hazards(op: o.Op, tracker: HazardTracker) -> Iterator[Hazard]:
    if isinstance(op, o.DropTable):
        yield Hazard("drop-table", f"drops table {op.target} and all its rows")
    elif isinstance(op, o.DropColumn):
        yield Hazard("drop-column", f"drops column {_col(op, op.column.name)} and its values")
    elif isinstance(op, o.AddColumn):
        yield from _add_column(op, tracker.dialect)
    elif isinstance(op, o.AlterColumn):
        yield from _alter_column(op, tracker.dialect)
    elif isinstance(op, o.AlterEnum):
        yield from _lost_values(op.existing.values, op.new.values, f"enum {op.target}")
    elif isinstance(op, o.AlterDomain):
        yield from _alter_domain(op)
    elif isinstance(op, o.AddConstraint) and not tracker.holds_key(op):
        yield from _new_constraint(op.target, op.constraint)
    elif isinstance(op, o.CreateIndex) and op.index.unique:
        yield Hazard(
            "new-unique",
            f"adds unique index {op.index.name} on {op.target}: fails if rows repeat a key",
        )
    if tracker.dialect is not None:
        yield from _dialect_hazards(op, tracker.dialect, tracker.state or s.Snapshot())


def _possible_rename(candidate: Optional[Candidate]) -> Iterator[Hazard]:
    if candidate is None:
        return
    c = candidate
    if c.is_table:
        what, kept = f"table {qualified(c.table[0], c.old)} may be renamed to {c.new}", "rows"
    else:
        what, kept = f"{qualified(*c.table)}.{c.old} may be renamed to {c.new}", "values"
    yield Hazard(
        "possible-rename",
        f"{what}: to keep its {kept}, pass {c.flag} or set {c.hint} on {c.new}",
    )


def _alter_domain(op: o.AlterDomain) -> Iterator[Hazard]:
    old, new, name = op.existing, op.new, op.new.fullname
    if old.type != new.type:
        yield Hazard("type-cast", f"changes domain {name} from {old.type} to {new.type}: every column of it is converted")
    if old.nullable and not new.nullable:
        yield Hazard("existing-nulls", f"makes domain {name} NOT NULL: fails if a column of it holds NULL")
    if any(c not in old.checks for c in new.checks):
        yield Hazard("new-check", f"adds a check to domain {name}: fails if a stored value breaks it")


def _col(op, name: str) -> str:
    return f"{qualified(op.schema, op.table_name)}.{name}"


def _add_column(op: o.AddColumn, dialect: Optional["Dialect"]) -> Iterator[Hazard]:
    c = op.column
    if dialect is not None and not dialect.rejects_not_null_without_default:
        return
    if not (c.nullable or c.default or c.autoincrement or c.identity or c.computed):
        yield Hazard(
            "not-null-no-default",
            f"adds NOT NULL column {_col(op, c.name)} without a default: fails if the table has rows",
        )


def _alter_column(op: o.AlterColumn, dialect: Optional["Dialect"]) -> Iterator[Hazard]:
    old, new, name = op.existing, op.new, _col(op, op.new.name)
    if old.type != new.type and (dialect is None or dialect.enforces_column_types):
        yield from _type_change(name, old.type, new.type)
    if old.nullable and not new.nullable:
        yield Hazard("existing-nulls", f"makes {name} NOT NULL: fails if a row holds NULL")
    if old.default is not None and new.default is None and not new.nullable:
        yield Hazard(
            "drop-default",
            f"drops the default of NOT NULL column {name}: inserts that omit it fail",
        )


def _type_change(name: str, old: str, new: str) -> Iterator[Hazard]:
    old_values, new_values = enum_values(old), enum_values(new)
    if old_values is not None and new_values is not None:
        yield from _lost_values(old_values, new_values, f"the ENUM of {name}")
    elif narrows(old, new):
        yield Hazard(
            "narrow-type",
            f"narrows {name} from {old} to {new}: values that do not fit are cut or rejected",
        )
    elif bounds_text(old, new):
        yield Hazard(
            "text-to-varchar",
            f"limits {name} from {old} to {new}: longer values are cut or rejected",
        )
    elif not widens(old, new) and not is_string(new):
        yield Hazard(
            "type-cast",
            f"converts {name} from {old} to {new}: fails on a value that does not convert",
        )


def _lost_values(old: Sequence[str], new: Sequence[str], what: str) -> Iterator[Hazard]:
    gone = [v for v in old if v not in new]
    if gone:
        values = ", ".join(repr(v) for v in gone)
        yield Hazard(
            "drop-enum-value", f"removes {values} from {what}: rows that hold them fail or lose it"
        )


_NEW_CONSTRAINT = {
    s.UniqueConstraint: ("new-unique", "fails if rows repeat a key"),
    s.PrimaryKey: ("new-primary-key", "fails on a repeated or NULL key"),
    s.CheckConstraint: ("new-check", "fails if a row breaks it"),
    s.ForeignKey: ("new-foreign-key", "fails if a row points at nothing"),
}


def _new_constraint(table: str, constraint: s.Constraint) -> Iterator[Hazard]:
    code, reason = _NEW_CONSTRAINT[type(constraint)]
    kind = o.CONSTRAINT_KINDS[type(constraint)]
    name = f" {constraint.name}" if constraint.name else ""
    yield Hazard(code, f"adds {kind}{name} on {table}: {reason}")


def _dialect_hazards(op: o.Op, dialect: "Dialect", before: s.Snapshot) -> Iterator[Hazard]:
    rewrite = dialect.table_rewrite(op, before)
    if rewrite == "type-rewrite":
        yield Hazard(
            rewrite,
            f"changes {_col(op, op.new.name)} from {op.existing.type} to {op.new.type}: {dialect.name} rewrites the table, which is locked meanwhile",
        )
    elif rewrite == "sqlite-rebuild":
        yield Hazard(
            rewrite, f"rebuilds table {op.target}: SQLite copies every row into a new table"
        )
    if dialect.blocks_writes(op):
        yield _lock(op, dialect.name)
    if isinstance(op, o.RenameConstraint):
        rechecked = dialect.rename_rechecks(op, before)
        if rechecked is not None:
            yield _lock(o.AddConstraint(op.table_name, rechecked, op.schema), dialect.name)


def _lock(op: o.Op, dialect_name: str) -> Hazard:
    if isinstance(op, o.AlterColumn):
        return Hazard(
            "set-not-null",
            f"SET NOT NULL on {_col(op, op.new.name)} scans the table while {dialect_name} blocks its writes",
        )
    if isinstance(op, o.AddConstraint) and isinstance(op.constraint, s.ForeignKey):
        return Hazard(
            "validated-fk",
            f"foreign key on {op.target} is checked against every row while {dialect_name} blocks writes",
        )
    if isinstance(op, o.AddConstraint) and isinstance(op.constraint, s.CheckConstraint):
        return Hazard(
            "validated-check",
            f"check on {op.target} is checked against every row while {dialect_name} blocks writes",
        )
    return Hazard(
        "index-lock",
        f"builds an index on {op.target} without CONCURRENTLY: {dialect_name} blocks writes to it meanwhile",
    )

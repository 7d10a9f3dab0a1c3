"""Operations: one schema change each, as frozen data.

Every op carries enough to undo itself: `reverse()` is exact, and a drop carries the full
definition of what it drops. Rendering and execution are separate functions over these values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Optional, Union

from .errors import SchemadiffError
from .snapshot import (
    CheckConstraint,
    Column,
    Constraint,
    Domain,
    Enum,
    ForeignKey,
    Index,
    PrimaryKey,
    Table,
    UniqueConstraint,
)


def qualified(schema: Optional[str], name: str) -> str:
    return f"{schema}.{name}" if schema else name


@dataclass(frozen=True)
class CreateTable:
    table: Table

    def reverse(self) -> "DropTable":
        return DropTable(self.table)

    @property
    def target(self) -> str:
        return self.table.fullname


@dataclass(frozen=True)
class DropTable:
    table: Table

    def reverse(self) -> CreateTable:
        return CreateTable(self.table)

    @property
    def target(self) -> str:
        return self.table.fullname


@dataclass(frozen=True)
class RenameTable:
    old_name: str
    new_name: str
    schema: Optional[str] = None

    def reverse(self) -> "RenameTable":
        return RenameTable(self.new_name, self.old_name, self.schema)

    @property
    def target(self) -> str:
        return qualified(self.schema, self.old_name)


@dataclass(frozen=True)
class SetTableComment:
    table_name: str
    comment: Optional[str]
    existing_comment: Optional[str]
    schema: Optional[str] = None

    def reverse(self) -> "SetTableComment":
        return SetTableComment(self.table_name, self.existing_comment, self.comment, self.schema)

    @property
    def target(self) -> str:
        return qualified(self.schema, self.table_name)


@dataclass(frozen=True)
class AddColumn:
    table_name: str
    column: Column
    schema: Optional[str] = None

    def reverse(self) -> "DropColumn":
        return DropColumn(self.table_name, self.column, self.schema)

    @property
    def target(self) -> str:
        return qualified(self.schema, self.table_name)


@dataclass(frozen=True)
class DropColumn:
    table_name: str
    column: Column
    schema: Optional[str] = None

    def reverse(self) -> AddColumn:
        return AddColumn(self.table_name, self.column, self.schema)

    @property
    def target(self) -> str:
        return qualified(self.schema, self.table_name)


@dataclass(frozen=True)
class AlterColumn:
    """Changes one column from `existing` to `new`; a rename is a change of name."""

    table_name: str
    existing: Column
    new: Column
    schema: Optional[str] = None

    def reverse(self) -> "AlterColumn":
        return AlterColumn(self.table_name, self.new, self.existing, self.schema)

    @property
    def target(self) -> str:
        return qualified(self.schema, self.table_name)

    @property
    def changes(self) -> tuple[str, ...]:
        """Names of the column attributes that differ, in field order."""
        return tuple(
            f.name
            for f in dataclasses.fields(Column)
            if getattr(self.existing, f.name) != getattr(self.new, f.name)
        )


@dataclass(frozen=True)
class CreateIndex:
    table_name: str
    index: Index
    schema: Optional[str] = None

    def reverse(self) -> "DropIndex":
        return DropIndex(self.table_name, self.index, self.schema)

    @property
    def target(self) -> str:
        return qualified(self.schema, self.table_name)


@dataclass(frozen=True)
class DropIndex:
    table_name: str
    index: Index
    schema: Optional[str] = None

    def reverse(self) -> CreateIndex:
        return CreateIndex(self.table_name, self.index, self.schema)

    @property
    def target(self) -> str:
        return qualified(self.schema, self.table_name)


@dataclass(frozen=True)
class AddConstraint:
    table_name: str
    constraint: Constraint
    schema: Optional[str] = None

    def reverse(self) -> "DropConstraint":
        return DropConstraint(self.table_name, self.constraint, self.schema)

    @property
    def target(self) -> str:
        return qualified(self.schema, self.table_name)


@dataclass(frozen=True)
class DropConstraint:
    table_name: str
    constraint: Constraint
    schema: Optional[str] = None

    def reverse(self) -> AddConstraint:
        return AddConstraint(self.table_name, self.constraint, self.schema)

    @property
    def target(self) -> str:
        return qualified(self.schema, self.table_name)


@dataclass(frozen=True)
class CreateEnum:
    enum: Enum

    def reverse(self) -> "DropEnum":
        return DropEnum(self.enum)

    @property
    def target(self) -> str:
        return self.enum.fullname


@dataclass(frozen=True)
class DropEnum:
    enum: Enum

    def reverse(self) -> CreateEnum:
        return CreateEnum(self.enum)

    @property
    def target(self) -> str:
        return self.enum.fullname


@dataclass(frozen=True)
class AlterEnum:
    """Changes an enum's values from `existing.values` to `new.values`."""

    existing: Enum
    new: Enum

    def reverse(self) -> "AlterEnum":
        return AlterEnum(self.new, self.existing)

    @property
    def target(self) -> str:
        return self.new.fullname


@dataclass(frozen=True)
class CreateDomain:
    domain: Domain

    def reverse(self) -> "DropDomain":
        return DropDomain(self.domain)

    @property
    def target(self) -> str:
        return self.domain.fullname


@dataclass(frozen=True)
class DropDomain:
    domain: Domain

    def reverse(self) -> CreateDomain:
        return CreateDomain(self.domain)

    @property
    def target(self) -> str:
        return self.domain.fullname


@dataclass(frozen=True)
class AlterDomain:
    """Changes a domain from `existing` to `new` (same name): base type, NOT NULL, default, checks."""

    existing: Domain
    new: Domain

    def reverse(self) -> "AlterDomain":
        return AlterDomain(self.new, self.existing)

    @property
    def target(self) -> str:
        return self.new.fullname

    @property
    def changes(self) -> tuple[str, ...]:
        """Names of the domain attributes that differ, in field order."""
        return tuple(
            f.name
            for f in dataclasses.fields(Domain)
            if getattr(self.existing, f.name) != getattr(self.new, f.name)
        )


@dataclass(frozen=True)
class Execute:
    """Hand-written SQL; `undo` is the SQL that reverses it, when the author gave one.

    `sql` is the text, values written in. A SQLAlchemy statement (op.execute(sa.update(...)))
    also travels as `statement`, which runs with its values bound; ops compare by their text.
    """

    sql: str
    undo: Optional[str] = None
    statement: Any = dataclasses.field(default=None, compare=False, repr=False)

    def reverse(self) -> "Execute":
        if self.undo is None:
            raise SchemadiffError(f"cannot reverse hand-written SQL: {self.sql[:60]!r}")
        return Execute(self.undo, self.sql)

    @property
    def target(self) -> str:
        return "sql"


Op = Union[
    CreateTable,
    DropTable,
    RenameTable,
    SetTableComment,
    AddColumn,
    DropColumn,
    AlterColumn,
    CreateIndex,
    DropIndex,
    AddConstraint,
    DropConstraint,
    CreateEnum,
    DropEnum,
    AlterEnum,
    CreateDomain,
    DropDomain,
    AlterDomain,
    Execute,
]

CONSTRAINT_KINDS = {
    PrimaryKey: "primary key",
    UniqueConstraint: "unique",
    CheckConstraint: "check",
    ForeignKey: "foreign key",
}


def reverse_all(ops: list[Op]) -> list[Op]:
    """The ops that undo `ops`: each one reversed, in reverse order."""
    return [o.reverse() for o in reversed(ops)]

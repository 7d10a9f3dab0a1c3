"""Frozen value objects that describe a database schema.

A Snapshot is what both the reflector (live database) and from_metadata (models) produce.
Everything is hashable and compared by value; collections are tuples kept in a canonical
order so that two snapshots of the same schema are equal whatever order they were read in.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass, field
from typing import Any, Optional, Union


class Expression(str):
    """SQL text in canonical form, which is what comparisons see; `.sql` keeps it as written.

    Databases store expressions their own way (PostgreSQL adds casts and parentheses, MariaDB
    backticks), so equality must use a canonical form; scripts and DDL need the real SQL.
    """

    sql: str

    def __new__(cls, key: str, sql: Optional[str] = None) -> "Expression":
        value = super().__new__(cls, key)
        value.sql = key if sql is None else sql
        return value

    def __reduce__(self):
        return (Expression, (str(self), self.sql))

    def rekey(self, key: str) -> "Expression":
        """The same SQL under another canonical form."""
        return Expression(key, self.sql)


class ConventionName(str):
    """A name that a naming convention produced; scripts show it as op.f("...")."""

    def __reduce__(self):
        return (ConventionName, (str(self),))


def _sorted(items, key):
    items = tuple(items)
    return items if len(items) < 2 else tuple(sorted(items, key=key))


@dataclass(frozen=True)
class Identity:
    always: bool = False
    start: Optional[int] = None
    increment: Optional[int] = None


@dataclass(frozen=True)
class Computed:
    sqltext: str
    persisted: Optional[bool] = None


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    nullable: bool = True
    default: Optional[str] = None
    autoincrement: bool = False
    identity: Optional[Identity] = None
    computed: Optional[Computed] = None
    comment: Optional[str] = None


@dataclass(frozen=True)
class PrimaryKey:
    name: Optional[str]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class UniqueConstraint:
    name: Optional[str]
    columns: tuple[str, ...]


@dataclass(frozen=True)
class CheckConstraint:
    name: Optional[str]
    sqltext: str


@dataclass(frozen=True)
class ForeignKey:
    name: Optional[str]
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    ref_schema: Optional[str] = None
    ondelete: Optional[str] = None
    onupdate: Optional[str] = None
    deferrable: Optional[bool] = None
    initially: Optional[str] = None


@dataclass(frozen=True)
class IndexElement:
    """One key of an index: a column name, or an SQL expression when `expression` is set."""

    text: str
    expression: bool = False
    descending: bool = False
    nulls: Optional[str] = None  # "first" / "last" when the database reports it


@dataclass(frozen=True)
class Index:
    name: Optional[str]
    elements: tuple[IndexElement, ...]
    unique: bool = False
    where: Optional[str] = None
    #: Dialect options under their create_index keywords (postgresql_using, mysql_length, ...),
    #: in the dialect's canonical form: sorted (keyword, value) pairs, where a value is a string,
    #: a number, a tuple (a list) or a tuple of pairs (a mapping), so that it stays hashable.
    options: tuple[tuple[str, Any], ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(e.text for e in self.elements)

    def keywords(self) -> dict[str, Any]:
        """The options as create_index and sa.Index take them: mappings as dicts, tuples as lists."""
        return {key: _keyword_value(value) for key, value in self.options}


def _keyword_value(value: Any) -> Any:
    if not isinstance(value, tuple):
        return value
    if value and all(isinstance(v, tuple) for v in value):
        return {k: v for k, v in value}
    return list(value)


def option_pairs(options: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Index options as Index.options holds them; options without a value are left out."""
    return tuple(sorted((k, v) for k, v in options.items() if v not in (None, (), "")))


Constraint = Union[PrimaryKey, UniqueConstraint, CheckConstraint, ForeignKey]


def definition_key(item) -> str:
    """A sort key built from an object's definition, its name left out."""
    return repr(dataclasses.replace(item, name=None))


def _item_key(item) -> tuple[str, str]:
    return (item.name or "", repr(item))


#: (schema or "", name): how a table, enum or domain is looked up.
TableKey = tuple[str, str]


class SchemaObject:
    """Keys for an object named within a schema: a table, an enum, a domain (each a dataclass
    with `name` and `schema` fields)."""

    @property
    def key(self) -> TableKey:
        return (self.schema or "", self.name)

    @property
    def fullname(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name


@dataclass(frozen=True)
class Table(SchemaObject):
    name: str
    columns: tuple[Column, ...]
    schema: Optional[str] = None
    primary_key: Optional[PrimaryKey] = None
    uniques: tuple[UniqueConstraint, ...] = ()
    checks: tuple[CheckConstraint, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    indexes: tuple[Index, ...] = ()
    comment: Optional[str] = None
    #: CREATE TRIGGER statements, where a table rebuild must replay them (SQLite). Models have
    #: no triggers, so they are carried along, never compared.
    triggers: tuple[str, ...] = field(default=(), compare=False, repr=False)

    def __post_init__(self):
        # Columns keep their table order; constraints and indexes have none, so sort them.
        for attr in ("uniques", "checks", "foreign_keys", "indexes"):
            object.__setattr__(self, attr, _sorted(getattr(self, attr), _item_key))
        object.__setattr__(self, "columns", tuple(self.columns))

    @property
    def constraints(self) -> list:
        """Primary key first, then uniques, checks and foreign keys."""
        pk = [self.primary_key] if self.primary_key else []
        return pk + [*self.uniques, *self.checks, *self.foreign_keys]

    def column(self, name: str) -> Optional[Column]:
        return next((c for c in self.columns if c.name == name), None)

    def unique_column_sets(self) -> list[frozenset[str]]:
        """The column sets the table holds unique: its primary key, its uniques and its plain
        unique indexes (no WHERE, no expression)."""
        keys = [self.primary_key.columns] if self.primary_key else []
        keys += [u.columns for u in self.uniques]
        keys += [
            i.columns
            for i in self.indexes
            if i.unique and i.where is None and not any(e.expression for e in i.elements)
        ]
        return [frozenset(columns) for columns in keys]


@dataclass(frozen=True)
class Enum(SchemaObject):
    """A named enum type (PostgreSQL); its values are ordered."""

    name: str
    values: tuple[str, ...]
    schema: Optional[str] = None


@dataclass(frozen=True)
class Domain(SchemaObject):
    """A named type over a base type with its own NOT NULL, default and checks (PostgreSQL).

    Columns of a domain have the domain's name as their type."""

    name: str
    type: str
    nullable: bool = True
    default: Optional[str] = None
    checks: tuple[CheckConstraint, ...] = ()
    schema: Optional[str] = None

    def __post_init__(self):
        object.__setattr__(self, "checks", _sorted(self.checks, _item_key))


@dataclass(frozen=True)
class Snapshot:
    tables: tuple[Table, ...] = ()
    enums: tuple[Enum, ...] = ()
    dialect: str = field(default="", compare=False)
    domains: tuple[Domain, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "tables", _sorted(self.tables, lambda t: t.key))
        object.__setattr__(self, "enums", _sorted(self.enums, lambda e: e.key))
        object.__setattr__(self, "domains", _sorted(self.domains, lambda d: d.key))

    def table(self, name: str, schema: Optional[str] = None) -> Optional[Table]:
        return next((t for t in self.tables if t.key == (schema or "", name)), None)

    def to_json(self) -> str:
        return json.dumps(self.to_data(), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Snapshot":
        return cls.from_data(json.loads(text))

    def to_data(self) -> dict:
        """The JSON structure of to_json(), as Python values."""
        return _encode(self)

    @classmethod
    def from_data(cls, data: dict) -> "Snapshot":
        return _decode(cls, data)


def with_expressions(snap: Snapshot) -> Snapshot:
    """`snap` with each SQL text that is a plain string made an Expression of itself. A stored
    snapshot keeps only canonical texts; the ops replayed on it take SQL from Expressions."""

    def revive(text):
        return Expression(text) if type(text) is str else text

    def element(e: IndexElement) -> IndexElement:
        return dataclasses.replace(e, text=revive(e.text)) if e.expression else e

    def column(c: Column) -> Column:
        if type(c.default) is not str and not (c.computed and type(c.computed.sqltext) is str):
            return c  # most columns: replace() is slow on big schemas
        computed = c.computed and dataclasses.replace(c.computed, sqltext=revive(c.computed.sqltext))
        return dataclasses.replace(c, default=revive(c.default), computed=computed)

    def table(t: Table) -> Table:
        columns = tuple(column(c) for c in t.columns)
        if all(c is n for c, n in zip(t.columns, columns)) and not (t.checks or t.indexes):
            return t
        return dataclasses.replace(
            t,
            columns=columns,
            checks=tuple(dataclasses.replace(c, sqltext=revive(c.sqltext)) for c in t.checks),
            indexes=tuple(
                dataclasses.replace(i, where=revive(i.where), elements=tuple(element(e) for e in i.elements))
                for i in t.indexes
            ),
        )

    return dataclasses.replace(snap, tables=tuple(table(t) for t in snap.tables))


# JSON: each dataclass becomes an object of its fields, an Expression {"key", "sql"}; a "kind"
# tag is only needed where a field may hold one of several classes, which never happens here.

_NESTED: dict[tuple[type, str], type] = {
    (Snapshot, "tables"): Table,
    (Snapshot, "enums"): Enum,
    (Snapshot, "domains"): Domain,
    (Domain, "checks"): CheckConstraint,
    (Table, "columns"): Column,
    (Table, "primary_key"): PrimaryKey,
    (Table, "uniques"): UniqueConstraint,
    (Table, "checks"): CheckConstraint,
    (Table, "foreign_keys"): ForeignKey,
    (Table, "indexes"): Index,
    (Index, "elements"): IndexElement,
    (Column, "identity"): Identity,
    (Column, "computed"): Computed,
}


def _encode(value: Any) -> Any:
    if isinstance(value, Expression):
        return {"key": str(value), "sql": value.sql}
    if dataclasses.is_dataclass(value):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_encode(v) for v in value]
    return value


def _tuples(raw: Any) -> Any:
    """JSON lists back into the tuples they were, however deeply nested (index options)."""
    return tuple(_tuples(r) for r in raw) if isinstance(raw, list) else raw


@functools.lru_cache(maxsize=None)
def _fields(cls: type) -> tuple[tuple[str, Optional[type]], ...]:
    """(field name, class of its nested values) for each field: decoding looks them up a lot."""
    return tuple((f.name, _NESTED.get((cls, f.name))) for f in dataclasses.fields(cls))


def _decode(cls: type, data: dict) -> Any:
    kwargs = {}
    for name, nested in _fields(cls):
        if name not in data:
            continue
        raw = data[name]
        if raw is None:
            kwargs[name] = None
        elif type(raw) is dict and raw.keys() == {"key", "sql"}:
            kwargs[name] = Expression(raw["key"], raw["sql"])
        elif nested and type(raw) is list:
            kwargs[name] = tuple([_decode(nested, r) for r in raw])
        elif nested:
            kwargs[name] = _decode(nested, raw)
        elif isinstance(raw, list):
            kwargs[name] = _tuples(raw)
        else:
            kwargs[name] = raw
    return cls(**kwargs)

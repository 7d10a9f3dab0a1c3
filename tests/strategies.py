"""Hypothesis strategies for random schemas that all three databases can hold.

A schema is drawn as plain data (TableSpec / ColumnSpec) and built into a fresh MetaData on
demand, so that shrinking works and every test gets its own objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import sqlalchemy as sa
from hypothesis import strategies as st
from sqlalchemy.dialects import postgresql as pg

# name -> (type factory, indexable, default factories)
TYPES: dict[str, tuple[Callable[[], sa.types.TypeEngine], bool, tuple]] = {
    "integer": (sa.Integer, True, (lambda: sa.text("0"), lambda: sa.text("42"))),
    "bigint": (sa.BigInteger, True, (lambda: sa.text("7"),)),
    "smallint": (sa.SmallInteger, True, (lambda: sa.text("1"),)),
    "string": (lambda: sa.String(40), True, (lambda: "abc", lambda: "it's")),
    "string_long": (lambda: sa.String(200), False, (lambda: "",)),
    "unicode": (lambda: sa.Unicode(30), True, (lambda: "x",)),
    "text": (sa.Text, False, ()),
    "boolean": (sa.Boolean, True, (sa.true, sa.false)),
    "date": (sa.Date, True, ()),
    "datetime": (sa.DateTime, True, (sa.func.now, lambda: sa.text("CURRENT_TIMESTAMP"))),
    "time": (sa.Time, True, ()),
    "numeric": (lambda: sa.Numeric(10, 2), True, (lambda: sa.text("1.50"), lambda: sa.text("0"))),
    "float": (sa.Float, True, (lambda: sa.text("2.5"),)),
    "binary": (sa.LargeBinary, False, ()),
    "enum": (lambda: sa.Enum("red", "green", "blue", name="color"), True, (lambda: "red",)),
    "uuid": (sa.Uuid, True, ()),
}

# PostgreSQL only: columns typed by a domain (each name always has the same definition).
POSTGRESQL_TYPES: dict[str, tuple[Callable[[], sa.types.TypeEngine], bool, tuple]] = {
    "domain_code": (
        lambda: pg.DOMAIN("code", sa.String(20), check="VALUE <> ''", constraint_name="code_not_blank"),
        True,
        (lambda: "a1",),
    ),
    "domain_cents": (lambda: pg.DOMAIN("cents", sa.BigInteger, check="VALUE >= 0", default=sa.text("0")), True, ()),
}
ALL_TYPES = {**TYPES, **POSTGRESQL_TYPES}
# PostgreSQL only: identity options an integer column may draw.
IDENTITIES = (sa.Identity, lambda: sa.Identity(always=True), lambda: sa.Identity(start=10, increment=5))
_INTEGER_TYPES = ("integer", "bigint", "smallint")

# Index options each database takes on which column types: (option, allowed key types, unique ok).
_BRIN_TYPES = {"integer", "bigint", "smallint", "date", "datetime", "time", "numeric", "float", "string", "unicode"}
_STRING_TYPES = {"string", "unicode"}
POSTGRESQL_INDEX_OPTIONS = {"hash": None, "brin": _BRIN_TYPES, "include": set(TYPES), "fillfactor": set(TYPES)}
MYSQL_INDEX_OPTIONS = {"fulltext": _STRING_TYPES, "length": _STRING_TYPES}

# Identifiers include reserved words and mixed case: quoting must hold everywhere.
COLUMN_NAMES = ["amount", "label", "created", "flag", "order", "select", "Mixed", "note", "value_2", "kind", "user"]
TABLE_NAMES = ["alpha", "beta", "Gamma", "group", "delta_items"]


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    nullable: bool
    default: Optional[int]  # index into the type's default factories
    identity: Optional[int] = None  # index into IDENTITIES (PostgreSQL)


@dataclass(frozen=True)
class TableSpec:
    name: str
    columns: tuple[ColumnSpec, ...]
    indexes: tuple["IndexSpec", ...]
    uniques: tuple[tuple[str, ...], ...]
    checks: tuple[str, ...]  # column names that get a check
    parent: Optional[str]  # table whose id this one references
    ondelete: Optional[str]


@dataclass(frozen=True)
class IndexSpec:
    columns: tuple[str, ...]
    unique: bool
    postgresql: Optional[str] = None  # a key of POSTGRESQL_INDEX_OPTIONS
    mysql: Optional[str] = None  # a key of MYSQL_INDEX_OPTIONS
    include: Optional[str] = None  # the column postgresql_include names

    def options(self, types: dict[str, str]) -> dict:
        """The index's keyword options; each database reads its own and ignores the others'."""
        options: dict = {
            "hash": {"postgresql_using": "hash"},
            "brin": {"postgresql_using": "brin"},
            "include": {"postgresql_include": [self.include]},
            "fillfactor": {"postgresql_with": {"fillfactor": 70}},
            None: {},
        }[self.postgresql]
        if self.mysql == "fulltext":
            options["mysql_prefix"] = "FULLTEXT"
        elif self.mysql == "length":
            options["mysql_length"] = {c: 10 for c in self.columns if types[c] in _STRING_TYPES}
        return options


@st.composite
def index_specs(draw, keys, columns: tuple) -> IndexSpec:
    """An index on `keys`, with options that suit its key types on each database."""
    cols, unique = draw(keys), draw(st.booleans())
    types = {c.name: c.type for c in columns}
    key_types = {types[c] for c in cols}
    others = [c.name for c in columns if c.name not in cols]

    def fits(option: str, allowed) -> bool:
        if option == "hash":  # PostgreSQL hash indexes have one key and are never unique
            return len(cols) == 1 and not unique
        if option == "include" and not others:
            return False
        if option in ("brin", "fulltext") and unique:
            return False
        return key_types <= allowed

    postgresql = draw(st.sampled_from([None, *[o for o, a in POSTGRESQL_INDEX_OPTIONS.items() if fits(o, a)]]))
    mysql = draw(st.sampled_from([None, *[o for o, a in MYSQL_INDEX_OPTIONS.items() if fits(o, a)]]))
    include = draw(st.sampled_from(others)) if postgresql == "include" else None
    return IndexSpec(cols, unique, postgresql, mysql, include)


@st.composite
def column_specs(draw, postgresql: bool = False) -> tuple[ColumnSpec, ...]:
    """With `postgresql`, domains and identity columns too."""
    names = draw(st.lists(st.sampled_from(COLUMN_NAMES), min_size=1, max_size=6, unique_by=str.lower))
    types = ALL_TYPES if postgresql else TYPES
    result = []
    for name in names:
        type_name = draw(st.sampled_from(sorted(types)))
        identity = None
        if postgresql and type_name in _INTEGER_TYPES:
            identity = draw(st.none() | st.integers(0, len(IDENTITIES) - 1))
        defaults = types[type_name][2] if identity is None else ()  # an identity has no default
        default = draw(st.none() | st.integers(0, len(defaults) - 1)) if defaults else None
        nullable = draw(st.booleans()) and identity is None  # create_all refuses NULL beside identity
        result.append(ColumnSpec(name, type_name, nullable, default, identity))
    return tuple(result)


def _indexable(columns) -> list[str]:
    return [c.name for c in columns if ALL_TYPES[c.type][1]]


@st.composite
def table_specs(draw, name: str, earlier: tuple[str, ...], postgresql: bool = False) -> TableSpec:
    columns = draw(column_specs(postgresql))
    indexable = _indexable(columns)
    keys = st.lists(st.sampled_from(indexable), min_size=1, max_size=3, unique=True).map(tuple) if indexable else st.nothing()
    indexes = draw(st.lists(index_specs(keys, columns), max_size=2, unique_by=lambda i: i.columns)) if indexable else []
    uniques = draw(st.lists(keys, max_size=1)) if indexable else []
    numeric = [c.name for c in columns if c.type in ("integer", "bigint", "smallint", "numeric")]
    checks = draw(st.lists(st.sampled_from(numeric), max_size=2, unique=True)) if numeric else []
    parent = draw(st.none() | st.sampled_from(earlier)) if earlier else None
    ondelete = draw(st.sampled_from([None, "CASCADE", "SET NULL"])) if parent else None
    uniques = [u for u in uniques if u not in {i.columns for i in indexes}]
    return TableSpec(name, columns, tuple(indexes), tuple(uniques), tuple(checks), parent, ondelete)


@st.composite
def schema_specs(draw, postgresql: bool = False) -> tuple[TableSpec, ...]:
    names = draw(st.lists(st.sampled_from(TABLE_NAMES), min_size=1, max_size=3, unique=True))
    tables = []
    for i, name in enumerate(names):
        tables.append(draw(table_specs(name, tuple(names[:i]), postgresql)))
    return tuple(tables)


def build(spec: tuple[TableSpec, ...]) -> sa.MetaData:
    metadata = sa.MetaData()
    for table in spec:
        items: list = [sa.Column("id", sa.Integer, primary_key=True)]
        for c in table.columns:
            factory, _, defaults = ALL_TYPES[c.type]
            default = None if c.default is None else defaults[c.default]()
            identity = () if c.identity is None else (IDENTITIES[c.identity](),)
            items.append(sa.Column(c.name, factory(), *identity, nullable=c.nullable, server_default=default))
        if table.parent:
            items.append(sa.Column("parent_id", sa.Integer, sa.ForeignKey(f"{table.parent}.id", ondelete=table.ondelete)))
        types = {c.name: c.type for c in table.columns}
        for n, index in enumerate(table.indexes):
            name = f"ix_{table.name.lower()}_{n}"
            items.append(sa.Index(name, *index.columns, unique=index.unique, **index.options(types)))
        items += [sa.UniqueConstraint(*cols) for cols in table.uniques]
        items += [sa.CheckConstraint(sa.column(c) >= 0) for c in table.checks]
        sa.Table(table.name, metadata, *items)
    return metadata

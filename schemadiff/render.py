"""Ops -> the Python source of a revision script, formatted with black.

Each op becomes one `op.<name>(...)` call in Alembic's vocabulary. Types are rendered as the
plainest SQLAlchemy type that compiles to the same thing on the target database, so scripts
read like models; every hazard is a comment right above the op it belongs to.
"""

from __future__ import annotations

import inspect
import re
import string
from dataclasses import dataclass, field
from typing import Optional, Sequence

import sqlalchemy as sa

from . import ops as o
from . import snapshot as s
from .dialects.base import Dialect
from .errors import SchemadiffError
from .from_metadata import SnapshotBuilder
from .hazards import Hazard, assess
from .state import apply_all
from .to_metadata import to_table

DEFAULT_TEMPLATE = '''"""${message}

Revision ID: ${revision}
Revises: ${down_revision_ids}
Create Date: ${create_date}

"""
${imports}

# revision identifiers, used by schemadiff.
revision = ${revision_repr}
down_revision = ${down_revision_repr}
branch_labels = ${branch_labels}
depends_on = ${depends_on}


def upgrade() -> None:
${upgrades}


def downgrade() -> None:
${downgrades}
'''

_MODULES = {
    "sa": "import sqlalchemy as sa",
    "postgresql": "from sqlalchemy.dialects import postgresql",
    "mysql": "from sqlalchemy.dialects import mysql",
    "sqlite": "from sqlalchemy.dialects import sqlite",
}


@dataclass(frozen=True)
class ScriptInfo:
    """What a script says about itself, besides its ops."""

    message: str
    revision: str
    down_revision: tuple[str, ...] = ()
    create_date: str = ""
    branch_labels: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()


def render_script(
    ops: Sequence[o.Op],
    info: ScriptInfo,
    dialect: Dialect,
    template: str = DEFAULT_TEMPLATE,
    line_length: int = 88,
    start: Optional[s.Snapshot] = None,
) -> str:
    """A complete, black-formatted revision script whose upgrade runs `ops` and downgrade undoes them.

    `start` is the schema the upgrade runs on, when known: some hazards depend on it.
    """
    renderer = Renderer(dialect)
    ops, undo = list(ops), o.reverse_all(list(ops))
    upgrades = renderer.body(ops, assess(ops, dialect, start))
    downgrades = renderer.body(undo, assess(undo, dialect, None if start is None else apply_all(start, ops)))
    values = dict(
        message=info.message,
        revision=info.revision,
        down_revision_ids=", ".join(info.down_revision),
        create_date=info.create_date,
        imports="\n".join(["from schemadiff import op", *renderer.imports()]),
        revision_repr=repr(info.revision),
        down_revision_repr=_ids(info.down_revision),
        branch_labels=_ids(info.branch_labels),
        depends_on=_ids(info.depends_on),
        upgrades=upgrades,
        downgrades=downgrades,
    )
    try:
        source = string.Template(template).substitute(values)
    except KeyError as e:
        raise SchemadiffError(f"script template: unknown placeholder ${e.args[0]}") from None
    except ValueError as e:
        raise SchemadiffError(f"script template: {e}") from None
    return format_source(source, line_length)


def format_source(source: str, line_length: int = 88) -> str:
    import black  # heavy: only scripts being written need it

    return black.format_str(source, mode=black.Mode(line_length=line_length))


def _ids(ids: tuple[str, ...]) -> str:
    if not ids:
        return "None"
    return repr(ids[0]) if len(ids) == 1 else repr(tuple(ids))


def _args(*positional: str, **keywords: Optional[str]) -> str:
    """Call arguments; keywords whose source is None are left out (they restate a default)."""
    parts = list(positional) + [f"{k}={v}" for k, v in keywords.items() if v is not None]
    return ", ".join(parts)


def _str_list(names: Sequence[str]) -> str:
    return "[" + ", ".join(repr(n) for n in names) + "]"


@dataclass
class Renderer:
    dialect: Dialect
    # Every script imports sa, used or not: hand edits (and empty or merge scripts) need it.
    modules: set = field(default_factory=lambda: {"sa"})

    def imports(self) -> list[str]:
        return [_MODULES[m] for m in sorted(self.modules)]

    def body(self, ops: list[o.Op], found: Sequence[tuple[Hazard, ...]]) -> str:
        if not ops:
            return "    pass"
        lines = []
        for op, hazards in zip(ops, found):
            lines += [f"    # {h}" for h in hazards]
            lines.append("    " + self.op(op))
        return "\n".join(lines)

    def op(self, op: o.Op) -> str:
        method = getattr(self, "_" + type(op).__name__)
        return method(op)

    # -- values ---------------------------------------------------------------------------------
    def sa(self, name: str) -> str:
        return f"sa.{name}"

    def name(self, name: Optional[str]) -> str:
        if name is None:
            return "None"
        return f"op.f({str(name)!r})" if isinstance(name, s.ConventionName) else repr(str(name))

    def schema(self, schema: Optional[str]) -> Optional[str]:
        return None if schema is None else repr(schema)

    def type(self, type_string: str) -> str:
        return self.type_object(type_source_object(self.dialect, type_string))

    def type_object(self, type_: sa.types.TypeEngine) -> str:
        text = repr(type_)
        for cls in _type_classes(type_):
            prefix = self._module_of(cls)
            text = re.sub(rf"(?<![\w.'\"]){cls.__name__}\(", f"{prefix}.{cls.__name__}(", text)
        return text

    def _module_of(self, cls: type) -> str:
        for module in ("postgresql", "mysql", "sqlite"):
            if cls.__module__.startswith(f"sqlalchemy.dialects.{module}"):
                self.modules.add(module)
                return module
        return "sa"

    def default(self, default: Optional[s.Expression]) -> Optional[str]:
        if default is None:
            return None
        return f"{self.sa('text')}({default.sql!r})"

    def column(self, c: s.Column, in_primary_key: bool = False, autoincrement: Optional[bool] = None) -> str:
        args = [repr(c.name), self.type(c.type)]
        if c.identity:
            args.append(self.identity(c.identity))
        if c.computed:
            persisted = None if c.computed.persisted is None else repr(c.computed.persisted)
            args.append(f"{self.sa('Computed')}({_args(repr(c.computed.sqltext.sql), persisted=persisted)})")
        keywords = {
            "nullable": "False" if not c.nullable and not in_primary_key else None,
            "server_default": self.default(c.default),
            "autoincrement": None if autoincrement is None else repr(autoincrement),
            "comment": None if c.comment is None else repr(c.comment),
        }
        return f"{self.sa('Column')}({_args(*args, **keywords)})"

    def identity(self, i: Optional[s.Identity]) -> str:
        if i is None:
            return "None"
        return f"{self.sa('Identity')}({_args(always='True' if i.always else None, start=_opt(i.start), increment=_opt(i.increment))})"

    def constraint(self, c: s.Constraint) -> str:
        name = None if c.name is None else self.name(c.name)
        if isinstance(c, s.PrimaryKey):
            return f"{self.sa('PrimaryKeyConstraint')}({_args(*map(repr, c.columns), name=name)})"
        if isinstance(c, s.UniqueConstraint):
            return f"{self.sa('UniqueConstraint')}({_args(*map(repr, c.columns), name=name)})"
        if isinstance(c, s.CheckConstraint):
            return f"{self.sa('CheckConstraint')}({_args(repr(c.sqltext.sql), name=name)})"
        prefix = f"{c.ref_schema}.{c.ref_table}" if c.ref_schema else c.ref_table
        targets = _str_list([f"{prefix}.{col}" for col in c.ref_columns])
        return f"{self.sa('ForeignKeyConstraint')}({_args(_str_list(c.columns), targets, name=name, **self._fk_options(c))})"

    def _fk_options(self, c: s.ForeignKey) -> dict:
        return {
            "ondelete": _opt(c.ondelete),
            "onupdate": _opt(c.onupdate),
            "deferrable": _opt(c.deferrable),
            "initially": _opt(c.initially),
        }

    def index_keys(self, index: s.Index) -> list[str]:
        keys = []
        for e in index.elements:
            key = f"{self.sa('text')}({e.text.sql!r})" if e.expression else repr(e.text)
            if e.descending:
                key = f"{self.sa('desc')}({key})"
            if e.nulls:
                key = f"{self.sa('nulls' + e.nulls)}({key})"
            keys.append(key)
        return keys

    def index_options(self, index: s.Index) -> dict:
        options = {"unique": "True" if index.unique else None}
        if index.where is not None:
            options[f"{self.dialect.sa_dialect.name}_where"] = f"{self.sa('text')}({index.where.sql!r})"
        options.update({key: repr(value) for key, value in index.keywords().items()})
        return options

    # -- ops ---------------------------------------------------------------------------------
    def _CreateTable(self, op: o.CreateTable) -> str:
        t = op.table
        pk = t.primary_key.columns if t.primary_key else ()
        auto = _autoincrement_overrides(t, self.dialect)
        items = [repr(t.name)]
        items += [self.column(c, c.name in pk, auto.get(c.name)) for c in t.columns]
        if t.primary_key:
            items.append(self.constraint(t.primary_key))
        items += [self.constraint(c) for c in (*t.uniques, *t.checks, *t.foreign_keys)]
        items += [
            f"{self.sa('Index')}({_args(self.name(i.name), *self.index_keys(i), **self.index_options(i))})"
            for i in t.indexes
        ]
        keywords = {"comment": _opt(t.comment), "schema": self.schema(t.schema)}
        return f"op.create_table({_args(*items, **keywords)})"

    def _DropTable(self, op: o.DropTable) -> str:
        return f"op.drop_table({_args(repr(op.table.name), schema=self.schema(op.table.schema))})"

    def _RenameTable(self, op: o.RenameTable) -> str:
        return f"op.rename_table({_args(repr(op.old_name), repr(op.new_name), schema=self.schema(op.schema))})"

    def _SetTableComment(self, op: o.SetTableComment) -> str:
        if op.comment is None:
            return f"op.drop_table_comment({_args(repr(op.table_name), existing_comment=_opt(op.existing_comment), schema=self.schema(op.schema))})"
        return f"op.create_table_comment({_args(repr(op.table_name), repr(op.comment), existing_comment=_opt(op.existing_comment), schema=self.schema(op.schema))})"

    def _AddColumn(self, op: o.AddColumn) -> str:
        return f"op.add_column({_args(repr(op.table_name), self.column(op.column), schema=self.schema(op.schema))})"

    def _DropColumn(self, op: o.DropColumn) -> str:
        return f"op.drop_column({_args(repr(op.table_name), repr(op.column.name), schema=self.schema(op.schema))})"

    def _AlterColumn(self, op: o.AlterColumn) -> str:
        old, new, changes = op.existing, op.new, op.changes
        keywords: dict[str, Optional[str]] = {}
        if "name" in changes:
            keywords["new_column_name"] = repr(new.name)
        if "type" in changes:
            keywords["type_"] = self.type(new.type)
        keywords["existing_type"] = self.type(old.type)
        if "nullable" in changes:
            keywords["nullable"] = repr(new.nullable)
        if "default" in changes:
            keywords["server_default"] = self.default(new.default) or "None"
            keywords["existing_server_default"] = self.default(old.default)
        if "autoincrement" in changes:
            keywords["autoincrement"] = repr(new.autoincrement)
        if "identity" in changes:
            keywords["identity"] = self.identity(new.identity)
            keywords["existing_identity"] = None if old.identity is None else self.identity(old.identity)
        if "comment" in changes:
            keywords["comment"] = repr(new.comment)
            keywords["existing_comment"] = _opt(old.comment)
        keywords["schema"] = self.schema(op.schema)
        return f"op.alter_column({_args(repr(op.table_name), repr(old.name), **keywords)})"

    def _CreateIndex(self, op: o.CreateIndex) -> str:
        i = op.index
        keys = "[" + ", ".join(self.index_keys(i)) + "]"
        return f"op.create_index({_args(self.name(i.name), repr(op.table_name), keys, **self.index_options(i), schema=self.schema(op.schema))})"

    def _DropIndex(self, op: o.DropIndex) -> str:
        return f"op.drop_index({_args(self.name(op.index.name), table_name=repr(op.table_name), schema=self.schema(op.schema))})"

    def _RenameIndex(self, op: o.RenameIndex) -> str:
        names = (self.name(op.old_name), self.name(op.new_name), repr(op.table_name))
        return f"op.rename_index({_args(*names, schema=self.schema(op.schema))})"

    def _RenameConstraint(self, op: o.RenameConstraint) -> str:
        names = (self.name(op.old_name), self.name(op.new_name), repr(op.table_name))
        return f"op.rename_constraint({_args(*names, schema=self.schema(op.schema))})"

    def _AddConstraint(self, op: o.AddConstraint) -> str:
        c, table, schema = op.constraint, repr(op.table_name), self.schema(op.schema)
        name = self.name(c.name)
        if isinstance(c, s.PrimaryKey):
            return f"op.create_primary_key({_args(name, table, _str_list(c.columns), schema=schema)})"
        if isinstance(c, s.UniqueConstraint):
            return f"op.create_unique_constraint({_args(name, table, _str_list(c.columns), schema=schema)})"
        if isinstance(c, s.CheckConstraint):
            return f"op.create_check_constraint({_args(name, table, repr(c.sqltext.sql), schema=schema)})"
        return "op.create_foreign_key({})".format(
            _args(
                name,
                table,
                repr(c.ref_table),
                _str_list(c.columns),
                _str_list(c.ref_columns),
                **self._fk_options(c),
                source_schema=schema,
                referent_schema=self.schema(c.ref_schema),
            )
        )

    def _DropConstraint(self, op: o.DropConstraint) -> str:
        c = op.constraint
        kind = {s.PrimaryKey: "primary", s.UniqueConstraint: "unique", s.CheckConstraint: "check", s.ForeignKey: "foreignkey"}[type(c)]
        identify: dict[str, Optional[str]] = {}
        if c.name is None:  # SQLite keeps some constraints nameless: say which one by its definition
            if isinstance(c, s.CheckConstraint):
                identify["condition"] = repr(c.sqltext.sql)
            else:
                identify["columns"] = _str_list(c.columns)
        return f"op.drop_constraint({_args(self.name(c.name), repr(op.table_name), type_=repr(kind), schema=self.schema(op.schema), **identify)})"

    def _CreateEnum(self, op: o.CreateEnum) -> str:
        e = op.enum
        return f"op.create_enum({_args(repr(e.name), _str_list(e.values), schema=self.schema(e.schema))})"

    def _DropEnum(self, op: o.DropEnum) -> str:
        return f"op.drop_enum({_args(repr(op.enum.name), schema=self.schema(op.enum.schema))})"

    def _AlterEnum(self, op: o.AlterEnum) -> str:
        e = op.new
        return f"op.alter_enum({_args(repr(e.name), _str_list(e.values), schema=self.schema(e.schema))})"

    def _CreateDomain(self, op: o.CreateDomain) -> str:
        d = op.domain
        options = {
            "nullable": None if d.nullable else "False",
            "server_default": self.default(d.default),
            "checks": self.domain_checks(d.checks) if d.checks else None,
            "schema": self.schema(d.schema),
        }
        return f"op.create_domain({_args(repr(d.name), self.type(d.type), **options)})"

    def _DropDomain(self, op: o.DropDomain) -> str:
        return f"op.drop_domain({_args(repr(op.domain.name), schema=self.schema(op.domain.schema))})"

    def _AlterDomain(self, op: o.AlterDomain) -> str:
        new, changes = op.new, op.changes
        keywords = {
            "type_": self.type(new.type) if "type" in changes else None,
            "nullable": repr(new.nullable) if "nullable" in changes else None,
            "server_default": (self.default(new.default) or "None") if "default" in changes else None,
            "checks": self.domain_checks(new.checks) if "checks" in changes else None,
            "schema": self.schema(new.schema),
        }
        return f"op.alter_domain({_args(repr(new.name), **keywords)})"

    def domain_checks(self, checks: Sequence[s.CheckConstraint]) -> str:
        """{name: sql}: a domain's checks always have names."""
        return "{" + ", ".join(f"{c.name!r}: {c.sqltext.sql!r}" for c in checks) + "}"

    def _Execute(self, op: o.Execute) -> str:
        return f"op.execute({_args(repr(op.sql), undo=_opt(op.undo))})"


def _opt(value) -> Optional[str]:
    return None if value is None else repr(value)


def type_source_object(dialect: Dialect, type_string: str) -> sa.types.TypeEngine:
    """The plainest SQLAlchemy type that compiles to `type_string` on this dialect."""
    specific = dialect.parse_type(type_string)
    try:
        generic = specific.as_generic()
        # As spelled, not only as compared: SQLite's DECIMAL compares equal to NUMERIC.
        same = _spelling(dialect.type_string(generic)) == _spelling(type_string)
    except NotImplementedError:
        return specific
    except sa.exc.CompileError:  # Enum.as_generic() drops the name a PostgreSQL enum needs
        return specific
    return generic if same else specific


def _spelling(type_string: str) -> str:
    return getattr(type_string, "sql", type_string)


def _type_classes(type_: sa.types.TypeEngine) -> list[type]:
    """The classes named in repr(type_): the type's own and those of nested types."""
    found = [type(type_)]
    # repr() shows the __init__ arguments, which may live on the class (JSONB's astext_type).
    names = set(vars(type_)) | set(inspect.signature(type(type_).__init__).parameters)
    for value in (getattr(type_, name, None) for name in sorted(names)):
        if isinstance(value, sa.types.TypeEngine):
            found += _type_classes(value)
        elif inspect.isclass(value) and issubclass(value, sa.types.TypeEngine):
            found.append(value)
    return found


def _autoincrement_overrides(table: s.Table, dialect: Dialect) -> dict[str, bool]:
    """Columns whose autoincrement flag SQLAlchemy's "auto" choice would get wrong, with the right value."""
    declared = to_table(table, sa.MetaData(), dialect, declare_autoincrement=False)
    guessed = dialect.canonical_table(SnapshotBuilder(dialect, None).table(declared))
    return {
        c.name: c.autoincrement
        for c, g in zip(table.columns, guessed.columns)
        if c.autoincrement != g.autoincrement
    }

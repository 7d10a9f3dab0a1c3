"""`include_name` and `include_object`: the project's own filters, with Alembic's signatures.

Configured as `module:function` under [tool.schemadiff], next to `exclude_tables`, and applied to
both sides of a comparison (the database, or the head snapshot, and the models):

- `include_name(name, type_, parent_names)`: type_ is "schema" (named schemas only, not the
  default one), "table", "column", "index", "unique_constraint" or "foreign_key_constraint";
  parent_names has "schema_name" and, below a table, "table_name" and
  "schema_qualified_table_name".
- `include_object(object, name, type_, reflected, compare_to)`: the same types but "schema".
  `object` and `compare_to` are schemadiff's snapshot values (snapshot.Table, Column, Index,
  UniqueConstraint, ForeignKey), not SQLAlchemy objects: a comparison sees values, so they have
  the name, the schema, the columns and the type as text, but no `.info` or `.table`.
  `reflected` is True on the database's side; `compare_to` is the other side's object of the
  same name, or None.

Each side is filtered on its own, as Alembic does: what a filter leaves out on both sides never
shows up as a difference; what it leaves out of one side only (`reflected`) looks missing there.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Optional

from .config import Config, import_project_module
from .errors import SchemadiffError
from .snapshot import Snapshot, Table

#: The item collections of a table that the filters see, with Alembic's name for each kind.
_KINDS = (
    ("indexes", "index"),
    ("uniques", "unique_constraint"),
    ("foreign_keys", "foreign_key_constraint"),
)


def load_function(key: str, spec: str, root: Path) -> Callable:
    """Imports `module:function` from the project."""
    module_name, sep, name = spec.partition(":")
    if not sep or not module_name or not name:
        raise SchemadiffError(f"{key} {spec!r}: expected the form module:function")
    module = import_project_module(f"{key} {spec!r}", module_name, root)
    function = getattr(module, name, None)
    if not callable(function):
        raise SchemadiffError(f"{key} {spec!r}: {module_name!r} has no function {name!r}")
    return function


@dataclasses.dataclass(frozen=True)
class ObjectFilters:
    include_name: Optional[Callable[..., bool]] = None
    include_object: Optional[Callable[..., bool]] = None

    @classmethod
    def from_config(cls, config: Config) -> "ObjectFilters":
        def load(key: str, spec: Optional[str]) -> Optional[Callable[..., bool]]:
            return load_function(key, spec, config.root) if spec else None

        return cls(
            load("include_name", config.include_name), load("include_object", config.include_object)
        )

    def __bool__(self) -> bool:
        return self.include_name is not None or self.include_object is not None

    def apply(self, snap: Snapshot, compare_to: Optional[Snapshot], reflected: bool) -> Snapshot:
        """`snap` without what the filters leave out; `compare_to` is the other side, when known."""
        others = {t.key: t for t in compare_to.tables} if compare_to is not None else {}
        tables = []
        for table in snap.tables:
            if self._table_included(table, others.get(table.key), reflected):
                tables.append(self._table_items(table, others.get(table.key), reflected))
        return dataclasses.replace(snap, tables=tuple(tables))

    def _table_included(self, table: Table, other: Optional[Table], reflected: bool) -> bool:
        if table.schema is not None and not self._name(table.schema, "schema", {}):
            return False
        return self._name(table.name, "table", {"schema_name": table.schema}) and self._object(
            table, table.name, "table", reflected, other
        )

    def _table_items(self, table: Table, other: Optional[Table], reflected: bool) -> Table:
        parents = {
            "schema_name": table.schema,
            "table_name": table.name,
            "schema_qualified_table_name": table.fullname,
        }

        def kept(items: tuple, kind: str, counterparts: tuple) -> tuple:
            by_name = {i.name: i for i in counterparts if i.name is not None}
            return tuple(
                item
                for item in items
                if self._name(item.name, kind, parents)
                and self._object(item, item.name, kind, reflected, by_name.get(item.name))
            )

        changes = {"columns": kept(table.columns, "column", other.columns if other else ())}
        for field, kind in _KINDS:
            changes[field] = kept(
                getattr(table, field), kind, getattr(other, field) if other else ()
            )
        return dataclasses.replace(table, **changes)

    def _name(self, name: Any, type_: str, parent_names: dict) -> bool:
        return self.include_name is None or bool(self.include_name(name, type_, parent_names))

    def _object(self, obj: Any, name: Any, type_: str, reflected: bool, compare_to: Any) -> bool:
        if self.include_object is None:
            return True
        return bool(self.include_object(obj, name, type_, reflected, compare_to))

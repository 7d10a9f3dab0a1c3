"""Which tables take part in a comparison, and a pause of the garbage collector while they are read."""

from __future__ import annotations

import dataclasses
import fnmatch
import gc
from contextlib import contextmanager
from typing import Iterator, Optional

from .config import VERSION_TABLE, Config
from .filters import ObjectFilters
from .snapshot import Snapshot, Table


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which tables take part in a comparison. The version table never does."""

    schemas: tuple[str, ...] = ()
    exclude_tables: tuple[str, ...] = ()
    version_table: str = VERSION_TABLE
    version_table_schema: Optional[str] = None
    filters: ObjectFilters = ObjectFilters()

    @classmethod
    def from_config(cls, config: Config) -> "Scope":
        return cls(
            config.schemas,
            config.exclude_tables,
            config.version_table,
            config.version_table_schema,
            ObjectFilters.from_config(config),
        )

    def includes(self, table: Table, default_schema: Optional[str] = None) -> bool:
        if table.name == self.version_table and table.schema == self._version_schema(default_schema):
            return False
        return not any(
            fnmatch.fnmatchcase(table.name, p) or fnmatch.fnmatchcase(table.fullname, p)
            for p in self.exclude_tables
        )

    def _version_schema(self, default_schema: Optional[str]) -> Optional[str]:
        """The version table's schema as snapshots name it: None for the default schema."""
        schema = self.version_table_schema
        return None if schema == default_schema else schema

    def filter(
        self,
        snap: Snapshot,
        default_schema: Optional[str] = None,
        compare_to: Optional[Snapshot] = None,
        reflected: bool = False,
    ) -> Snapshot:
        """`snap` with the tables in scope; the project's filters (filters.py) see `reflected`
        (the database's side) and the other side, `compare_to`, when it is known."""
        kept = dataclasses.replace(snap, tables=tuple(t for t in snap.tables if self.includes(t, default_schema)))
        return self.filters.apply(kept, compare_to, reflected) if self.filters else kept


@contextmanager
def gc_paused() -> Iterator[None]:
    """Building a big schema's snapshots makes many objects and no cycles; the collector only slows it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()

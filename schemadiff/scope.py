"""Which tables take part in a comparison, and a pause of the garbage collector while they are read."""

from __future__ import annotations

import dataclasses
import fnmatch
import gc
from contextlib import contextmanager
from typing import Iterator

from .config import VERSION_TABLE
from .snapshot import Snapshot, Table


@dataclasses.dataclass(frozen=True)
class Scope:
    """Which tables take part in a comparison."""

    schemas: tuple[str, ...] = ()
    exclude_tables: tuple[str, ...] = ()

    def includes(self, table: Table) -> bool:
        if table.schema is None and table.name == VERSION_TABLE:
            return False
        return not any(
            fnmatch.fnmatchcase(table.name, p) or fnmatch.fnmatchcase(table.fullname, p)
            for p in self.exclude_tables
        )

    def filter(self, snap: Snapshot) -> Snapshot:
        return dataclasses.replace(snap, tables=tuple(t for t in snap.tables if self.includes(t)))


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

"""What revision scripts do, without a database: their ops, recorded by replaying the history.

Each script's upgrade() runs against a recording `op`, the same one `upgrade --sql` uses, so the
ops and the schema before each revision come from the scripts alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from . import ops as o
from .dialects.base import Dialect
from .replay import run_script
from .replay_start import BASE, ReplayStart
from .revisions import Revision, RevisionMap
from .snapshot import Snapshot


@dataclass(frozen=True)
class RecordedRevision:
    """One revision's upgrade: the schema it starts from and the ops it runs."""

    revision: Revision
    start: Snapshot
    ops: tuple[o.Op, ...]


def record_upgrade(
    revision: Revision, start: Snapshot, dialect: Dialect
) -> tuple[RecordedRevision, Snapshot]:
    """(the revision's upgrade recorded from schema `start`, the schema after it)."""
    recorded: list[o.Op] = []
    after = run_script(revision, "upgrade", start, dialect, recorded.append)
    return RecordedRevision(revision, start, tuple(recorded)), after


def record_revisions(
    revisions: RevisionMap, wanted: Sequence[Revision], dialect: Dialect, start: ReplayStart = BASE
) -> list[RecordedRevision]:
    """The upgrades of `wanted`, in history order; every revision between `start` (which must
    come before them all) and them is replayed too."""
    ids = {r.id for r in wanted}
    if not ids:
        return []
    state, result = start.snapshot, []
    for revision in revisions.upgrade_path(start.heads, tuple(r.id for r in wanted)):
        recorded, state = record_upgrade(revision, state, dialect)
        if revision.id in ids:
            result.append(recorded)
    return result

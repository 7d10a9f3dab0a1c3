"""Why an online `check` found drift, and what to run about it.

Three causes, told apart with the revision graph and the head schema (the committed head
snapshot when it is current, else the scripts replayed without a database):
- the database is behind head: revisions are pending (run upgrade);
- the models are ahead of the revisions: head differs from the models (run generate);
- the database was changed by hand: it differs from head though it is stamped at head.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import head_snapshot
from .api import Scope, declared_renames, snapshots
from .compare import compare
from .config import Config
from .dialects import for_sa_dialect
from .empty_models import refuse_empty_models
from .errors import SchemadiffError
from .hazards import Hazard, assess
from .ops import Op, reverse_all
from .renames import Renames
from .replay_start import resolve_start
from .report import as_text
from .revisions import Revision, RevisionMap
from .snapshot import Snapshot
from .version_table import read_versions


@dataclass(frozen=True)
class Diagnosis:
    #: What brings the database in line with the models.
    changes: tuple[Op, ...]
    #: The hazards of each of `changes`, run on the database.
    hazards: tuple[tuple[Hazard, ...], ...] = ()
    #: The revisions the database lacks, in the order upgrade runs them.
    pending: tuple[Revision, ...] = ()
    #: What brings the head schema in line with the models (the models are ahead).
    models_ahead: tuple[Op, ...] = ()
    #: What brings the head schema in line with the database (it was changed by hand).
    by_hand: tuple[Op, ...] = ()
    #: Why the cause could not be told, when it could not.
    unknown: Optional[str] = None


def diagnose(
    config: Config, conn: Connection, metadata: sa.MetaData, scope: Scope = Scope(), renames: Renames = Renames()
) -> Diagnosis:
    database, models = snapshots(conn, metadata, scope)
    refuse_empty_models(models, database, "the database")
    renames = declared_renames(conn, metadata, renames)
    changes = tuple(compare(database, models, renames))
    if not changes:
        return Diagnosis(())
    hazards = tuple(assess(changes, for_sa_dialect(conn.dialect), database))
    try:
        revisions = head_snapshot.revision_map(config)
        current = read_versions(conn, config.version_table, config.version_table_schema)
        pending = tuple(revisions.upgrade_path(current, "heads"))
        if pending:
            return Diagnosis(changes, hazards, pending=pending)
        head = scope.filter(_head_schema(config, revisions, conn))
    except SchemadiffError as e:
        return Diagnosis(changes, hazards, unknown=str(e))
    # By hand: what took the database away from head. Compared from the database's side, so that
    # a key the scripts left unnamed matches the name the database gave it.
    by_hand = reverse_all(compare(database, head))
    return Diagnosis(
        changes, hazards, models_ahead=tuple(compare(head, models, renames)), by_hand=tuple(by_hand)
    )


def _head_schema(config: Config, revisions: RevisionMap, conn: Connection) -> Snapshot:
    """The committed head snapshot when it is current, else the scripts replayed without a database
    (from that snapshot when it is at an older head, else from base)."""
    try:
        return head_snapshot.load_head(config).snapshot
    except SchemadiffError:
        dialect, heads = for_sa_dialect(conn.dialect), [r.id for r in revisions.heads]
        return resolve_start(config, revisions, dialect, None, heads).replay(revisions, heads, dialect)


def explain(diagnosis: Diagnosis) -> list[str]:
    """The cause of the differences and what to run, line by line."""
    lines = []
    if diagnosis.pending:
        lines.append("The database is behind head: run schemadiff upgrade. Pending revisions:")
        lines += [f"  {r.id} {r.message}" for r in diagnosis.pending]
    if diagnosis.models_ahead:
        lines.append("The models are ahead of the revisions: run schemadiff generate")
    if diagnosis.by_hand:
        lines.append(
            "The database was changed by hand: it is at head but differs from the head schema "
            "(put the change in the models and run schemadiff generate, or undo it):"
        )
        lines += ["  " + line for line in as_text(list(diagnosis.by_hand)).splitlines()]
    if diagnosis.unknown:
        lines.append(f"The cause is unknown: {diagnosis.unknown}")
    return lines

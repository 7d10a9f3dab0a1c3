"""Where an offline replay starts: base, a head snapshot, or a reflected database.

A replay from base knows only what the scripts' ops made. A table made by DDL in `op.execute`,
or before the history began (by `create_all`, by hand, by another tool), is unknown to it, and
the first op on that table cannot be replayed. A start that already has the table gets past it:
a head snapshot that `schemadiff snapshot` read from a database the real scripts ran on, or a
database at some revision. The replay then runs only the scripts after that revision.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Optional, Sequence

from . import head_snapshot
from .config import Config, mask_url
from .errors import MissingObject, SchemadiffError
from .replay import run_script
from .revisions import RevisionMap
from .snapshot import Snapshot, with_expressions

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

    from .dialects.base import Dialect
    from .revisions import Revision

#: Appended to a replay failure on an object the replay does not know.
HINT = (
    "the offline replay knows only what the scripts' ops made since {source}; a table made by "
    "op.execute() or outside the history needs a start that has it: --start-from SNAPSHOT.json "
    "(as `schemadiff snapshot` writes) or --start-from URL (a database at some revision)"
)


@dataclass(frozen=True)
class ReplayStart:
    """The schema at revision(s) `heads`, and where it came from (for messages)."""

    heads: tuple[str, ...]
    snapshot: Snapshot
    source: str

    def __post_init__(self):
        object.__setattr__(self, "snapshot", with_expressions(self.snapshot))

    def precedes(self, revisions: RevisionMap, upto: Sequence[str]) -> bool:
        """Whether `upto` is this start or comes after it: whether a replay can get there."""
        return _ancestry(revisions, self.heads) <= _ancestry(revisions, upto)

    def comes_before(self, revisions: RevisionMap, wanted: Sequence["Revision"]) -> bool:
        """Whether a replay from here reaches each of `wanted`, none of which it holds already."""
        ids = [r.id for r in wanted]
        return self.precedes(revisions, ids) and not _ancestry(revisions, self.heads) & set(ids)

    def replay(self, revisions: RevisionMap, upto: Sequence[str], dialect: "Dialect") -> Snapshot:
        """The schema at `upto`: this start moved along by the upgrades after it."""
        upto = tuple(upto)
        if set(upto) == set(self.heads):
            return self.snapshot
        if not self.precedes(revisions, upto):
            raise SchemadiffError(
                f"{self.source} is at {_at(self.heads)}, which is not at or before {_at(upto)}: "
                "a replay only goes forward; start from a snapshot or database at or before it"
            )
        state = self.snapshot
        for revision in revisions.upgrade_path(self.heads, upto):
            state = replay_script(revision, "upgrade", state, dialect, self.source)
        return state


BASE = ReplayStart((), Snapshot(), "base")


def replay_script(
    revision, direction: str, state: Snapshot, dialect: "Dialect", source: str, *handlers
) -> Snapshot:
    """run_script (`handlers`: its handler, flush, ...), with the hint to --start-from when an op
    names what the replay does not know."""
    try:
        return run_script(revision, direction, state, dialect, *handlers)
    except MissingObject as e:
        raise SchemadiffError(f"{e}; {HINT.format(source=source)}") from None


def resolve_start(
    config: Config,
    revisions: RevisionMap,
    dialect: "Dialect",
    start_from: Optional[str],
    upto: Sequence[str],
) -> ReplayStart:
    """The start that `--start-from` names (a URL or a snapshot file); without it, the committed
    head snapshot where it is usable and at or before `upto`, else base."""
    if start_from is None:
        stored = committed(config, revisions, dialect)
        return stored if stored and stored.precedes(revisions, upto) else BASE
    if "://" in start_from:
        return from_database(start_from, config, revisions, dialect)
    return from_file(Path(start_from), revisions, dialect)


def committed(config: Config, revisions: RevisionMap, dialect: "Dialect") -> Optional[ReplayStart]:
    """The committed head snapshot for `dialect`, if the scripts up to its revision are unchanged;
    it may be at an older head than the graph's (`generate` just added one)."""
    path = head_snapshot.snapshot_path(config, dialect.server)
    if not path.exists():
        return None
    try:
        return from_file(path, revisions, dialect, shown=f"{config.dir}/{path.name}")
    except SchemadiffError:
        return None  # stale or unreadable: base is still a correct start


def from_file(
    path: Path, revisions: RevisionMap, dialect: "Dialect", shown: Optional[str] = None
) -> ReplayStart:
    """The head snapshot in `path`, checked: same dialect, a known revision, its scripts unchanged."""
    shown = shown or str(path)
    stored = head_snapshot.read(path, shown)
    from .dialects import dialect_name

    if dialect_name(stored.server) != dialect.name:
        raise SchemadiffError(
            f"{shown} is a {stored.server} snapshot; this replay is for {dialect.name}"
        )
    if stored.head is not None and stored.head not in revisions:
        raise SchemadiffError(f"{shown} was written at revision {stored.head}, which no script has")
    head_snapshot.verify(stored, revisions, stored.head, shown)
    return ReplayStart((stored.head,) if stored.head else (), stored.snapshot, shown)


def from_database(
    url: str, config: Config, revisions: RevisionMap, dialect: "Dialect"
) -> ReplayStart:
    """The database at `url`, reflected, at the revision(s) its version table holds."""
    from .api import connect
    from .dialects import for_sa_dialect

    masked = mask_url(url)
    with connect(url) as conn:
        found = for_sa_dialect(conn.dialect).name
        if found != dialect.name:
            raise SchemadiffError(
                f"--start-from {masked} is a {found} database; this replay is for {dialect.name}"
            )
        start = reflected(conn, config)
    unknown = [rev for rev in start.heads if rev not in revisions]
    if unknown:
        raise SchemadiffError(f"{masked} is stamped with {', '.join(unknown)}, which no script has")
    return dataclasses.replace(start, source=masked)


def reflected(conn: "Connection", config: Config) -> ReplayStart:
    """The database on `conn`, reflected with its own dialect (which knows the server's version),
    at the revision(s) its version table holds."""
    from .reflect import reflect
    from .version_table import read_versions

    heads = read_versions(conn, config.version_table, config.version_table_schema)
    return ReplayStart(
        heads, head_snapshot.canonical(reflect(conn, config.schemas), config), "the database"
    )


def _ancestry(revisions: RevisionMap, heads: Sequence[str]) -> set[str]:
    return {r.id for r in revisions.upgrade_path((), tuple(heads))} if heads else set()


def _at(heads: Sequence[str]) -> str:
    return ", ".join(heads) or "base"

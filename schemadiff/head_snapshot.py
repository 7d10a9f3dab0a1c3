"""The head snapshot, `<dir>/schema.<dialect>.json`: the schema that the head revision produces.

It is committed beside the scripts, so that `schemadiff check --offline` can compare the models
with it and needs no database. It is JSON with sorted keys and one value per line, so that its
git diff reads as a review of the schema change:

    {
      "format": 1,                  this file's layout; a file in a newer layout is refused
      "head": "9a8b7c6d5e4f",       the head revision it was built at (null before the first)
      "schemadiff": "0.1.0",        the version of schemadiff that wrote it
      "scripts": {                  each script on the path from base to head, by revision id:
        "1c2d3e4f5a6b": "<sha256>"  the SHA-256 of its normalized source
      },
      "server": "postgresql",       the kind of server: postgresql, mysql, mariadb or sqlite
      "snapshot": {...}             Snapshot.to_data(): tables and enums
    }

The hash covers a script's whole source, normalized: decoded as UTF-8, line endings made "\\n",
trailing whitespace cut from each line and trailing blank lines dropped. A checkout that turns
line endings to CRLF changes nothing; an edit to the code, a comment or the docstring of a script
does, and the check names the script.

The snapshot is kept in canonical form: each expression as its canonical text (what comparisons
see), no triggers (never compared), no version table. The same schema so gives the same bytes
whether the history was replayed on a scratch database and reflected (`schemadiff snapshot`) or
replayed through the scripts' ops alone (`generate` and `merge`, which have no scratch database).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Optional

from . import __version__
from .config import Config, use_import_paths
from .errors import SchemadiffError
from .renames import Renames, hinted
from .revisions import RevisionMap, load_revisions
from .script_settings import use_config
from .snapshot import Snapshot, Table

if TYPE_CHECKING:
    import sqlalchemy as sa

    from .dialects.base import Dialect
    from .hazards import Hazard
    from .ops import Op

FORMAT = 1


@dataclass(frozen=True)
class HeadSnapshot:
    head: Optional[str]
    #: revision id -> SHA-256 of its normalized source, for each script on the path to head.
    scripts: dict[str, str]
    server: str
    snapshot: Snapshot
    written_by: str = __version__

    def dumps(self) -> str:
        data = {
            "format": FORMAT,
            "head": self.head,
            "schemadiff": self.written_by,
            "scripts": self.scripts,
            "server": self.server,
            "snapshot": self.snapshot.to_data(),
        }
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def configured_server(config: Config) -> str:
    """The kind of server, from the `dialect` key or else the URL's scheme, without connecting."""
    if config.dialect:
        return config.dialect
    if not config.url:
        raise SchemadiffError(
            "no dialect: set dialect = \"postgresql\" (or mysql, sqlite) or url under [tool.schemadiff]"
        )
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(config.url).get_backend_name()
    except ArgumentError:
        raise SchemadiffError("cannot tell the dialect from the URL: set dialect under [tool.schemadiff]") from None


def snapshot_path(config: Config, server: str) -> Path:
    from .dialects import dialect_name

    return config.migrations_dir / f"schema.{dialect_name(server)}.json"


def script_hashes(revisions: RevisionMap, head: Optional[str]) -> dict[str, str]:
    path = revisions.upgrade_path((), (head,)) if head else []
    try:
        return {r.id: source_hash(r.path.read_bytes()) for r in path}
    except OSError as e:
        raise SchemadiffError(f"cannot read {e.filename}: {e.strerror}") from None


def source_hash(source: bytes) -> str:
    text = source.decode("utf-8", errors="surrogateescape")
    lines = [line.rstrip() for line in text.splitlines()]
    return hashlib.sha256("\n".join(lines).rstrip("\n").encode("utf-8", errors="surrogateescape")).hexdigest()


def single_head(revisions: RevisionMap) -> Optional[str]:
    heads = [r.id for r in revisions.heads]
    if len(heads) > 1:
        raise SchemadiffError(f"several heads ({', '.join(heads)}): merge them: schemadiff merge")
    return heads[0] if heads else None


def canonical(snap: Snapshot, config: Config) -> Snapshot:
    """`snap` as the head snapshot stores it: canonical expressions, no triggers, no version table."""
    version_table = (config.version_table_schema or "", config.version_table)
    tables = tuple(_plain_table(t) for t in snap.tables if t.key != version_table)
    return dataclasses.replace(_plain(dataclasses.replace(snap, tables=())), tables=tables)


def _plain_table(table: Table) -> Table:
    return dataclasses.replace(_plain(table), triggers=())


def _plain(value):
    """The value with every Expression (and name subclass) replaced by its plain canonical text."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if dataclasses.is_dataclass(value):
        return dataclasses.replace(
            value, **{f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        )
    return value


def write(config: Config, revisions: RevisionMap, dialect: "Dialect", snap: Snapshot) -> Path:
    """Writes the head snapshot of `snap`, the schema at the current single head."""
    head = single_head(revisions)
    snap = canonical(dataclasses.replace(snap, dialect=dialect.name), config)
    stored = HeadSnapshot(head, script_hashes(revisions, head), dialect.server, snap)
    path = snapshot_path(config, dialect.server)
    try:
        path.write_text(stored.dumps(), encoding="utf-8")
    except OSError as e:
        raise SchemadiffError(f"cannot write {path}: {e.strerror}") from None
    return path


def read(path: Path, shown: str) -> HeadSnapshot:
    """The head snapshot in `path` (`shown` in messages); one clear error line for each way it is unfit."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemadiffError(f"no head snapshot at {shown}: run schemadiff snapshot") from None
    except (OSError, UnicodeDecodeError) as e:
        raise SchemadiffError(f"cannot read {shown}: {e}") from None
    try:
        data = json.loads(text)
        version = data["format"]
        if isinstance(version, int) and version > FORMAT:
            raise SchemadiffError(
                f"{shown} was written by a newer schemadiff ({data.get('schemadiff')}, format {version}): "
                f"upgrade schemadiff (this is {__version__})"
            )
        return HeadSnapshot(
            data["head"], dict(data["scripts"]), data["server"], Snapshot.from_data(data["snapshot"]), data["schemadiff"]
        )
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise SchemadiffError(f"{shown} is corrupt ({type(e).__name__}: {e}): run schemadiff snapshot") from None


def verify(stored: HeadSnapshot, revisions: RevisionMap, head: Optional[str], shown: str) -> None:
    """Raises unless `stored` was written at `head` from the scripts as they are now."""
    if stored.head != head:
        raise SchemadiffError(
            f"{shown} was written at revision {stored.head or 'base'}, but the head is now "
            f"{head or 'base'}: run schemadiff snapshot"
        )
    now = script_hashes(revisions, head)
    changed = sorted(rev for rev in now.keys() | stored.scripts.keys() if now.get(rev) != stored.scripts.get(rev))
    if changed:
        names = ", ".join(revisions.get(rev).path.name if rev in revisions else rev for rev in changed)
        raise SchemadiffError(f"{names} changed after {shown} was written: run schemadiff snapshot")


def load_head(config: Config) -> HeadSnapshot:
    """The head snapshot for the configured dialect, checked against the graph and the scripts.

    Several heads are reported before anything wrong with the file (after a git merge, it may
    hold conflict markers).
    """
    path = snapshot_path(config, configured_server(config))
    shown = f"{config.dir}/{path.name}"
    try:
        stored: Optional[HeadSnapshot] = read(path, shown)
    except SchemadiffError:
        stored = None
    run_before = set(stored.scripts.values()) if stored else set()
    revisions = revision_map(config, known=lambda source: source_hash(source) in run_before)
    head = single_head(revisions)
    stored = stored or read(path, shown)  # raises what is wrong with it
    verify(stored, revisions, head, shown)
    return stored


def revision_map(config: Config, known: Callable[[bytes], bool] = lambda source: False) -> RevisionMap:
    """The scripts' graph. Scripts may run from here on, so their import paths are set now, as
    Alembic sets them when it reads the script folder."""
    for folder in config.versions_dirs:
        if not folder.is_dir():
            where = _relative(folder, config.root)
            if config.version_locations:
                raise SchemadiffError(f"version_locations names {where}: no such folder")
            raise SchemadiffError(f"no migrations folder at {where}: run `schemadiff init` first")
    use_import_paths(config)
    use_config(config)  # the scripts may run from here on: they see this project's settings
    return load_revisions(*config.versions_dirs, known=known)


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def offline_changes(config: Config, metadata: "sa.MetaData") -> list["Op"]:
    """The ops that bring the head snapshot in line with `metadata`: the offline check, no database.

    Raises SchemadiffError when the graph has several heads, or the snapshot is missing, corrupt,
    from a newer schemadiff, or out of date with the graph or the scripts.
    """
    return offline_check(config, metadata)[0]


def offline_check(
    config: Config, metadata: "sa.MetaData", renames: Renames = Renames()
) -> tuple[list["Op"], list[tuple["Hazard", ...]]]:
    """offline_changes, with each op's hazards on the snapshot's dialect, as a database at head
    would have them. The models' rename hints, and `renames` besides, count as renames."""
    from .compare import compare
    from .dialects import offline_dialect
    from .empty_models import refuse_empty_models
    from .from_metadata import snapshot_metadata
    from .hazards import assess
    from .scope import Scope, gc_paused

    scope = Scope.from_config(config)
    with gc_paused():
        stored = load_head(config)
        dialect = offline_dialect(stored.server)
        models = snapshot_metadata(metadata, dialect, dialect.nominal_default_schema)
        head = scope.filter(stored.snapshot, compare_to=models, reflected=True)
        refuse_empty_models(models, head, "the head snapshot")
        renames = hinted(metadata, dialect.nominal_default_schema) | renames
        changes = compare(head, scope.filter(models, compare_to=stored.snapshot), renames)
    return changes, assess(changes, dialect, head)

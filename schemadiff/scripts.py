"""The migrations folder: `init` lays it out, `generate` writes new revision scripts into it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Mapping, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .api import Scope, changes
from .config import Config, load_config
from .dialects import for_sa_dialect
from .dialects.base import Dialect
from .errors import SchemadiffError
from .head_snapshot import revision_map, single_head
from . import ops as o
from .ops import Op
from .rename_answers import Ask
from .render import DEFAULT_TEMPLATE, ScriptInfo, render_script
from .renames import Renames
from .revisions import RevisionMap, new_revision_id
from .scratch import advance_head_snapshot, rebuild_head_snapshot
from .snapshot import ForeignKey, Snapshot
from .state import apply_all
from .version_table import read_versions

TEMPLATE_NAME = "script.py.tmpl"

CONFIG_SECTION = """
[tool.schemadiff]
# The database (SCHEMADIFF_URL or --url override it):
{url}
# The models: a MetaData, or an object with .metadata such as a declarative Base:
{metadata}
dir = {dir}
"""
_SECTION_EXAMPLES = {"url": "postgresql+psycopg://user@localhost/app", "metadata": "app.models:Base"}


def init_project(config: Config, given: Optional[Mapping[str, str]] = None) -> list[str]:
    """Creates the migrations folder, its versions/ and template; says what it did, line by line.

    `given` holds the settings the user passed to init (url, metadata, dir): a new
    [tool.schemadiff] section records them; an existing one must agree with them already.
    """
    given = given or {}
    _check_given(config, given)
    folder = config.migrations_dir
    if folder.exists():
        raise SchemadiffError(f"{config.dir} exists already: nothing was changed")
    done = [f"Created {config.dir}/versions", f"Created {config.dir}/{TEMPLATE_NAME}"]
    try:
        folder.mkdir(parents=True)
        config.versions_dir.mkdir(parents=True, exist_ok=True)
        (folder / TEMPLATE_NAME).write_text(DEFAULT_TEMPLATE, encoding="utf-8")
        if not config.has_section:
            pyproject = config.root / "pyproject.toml"
            verb = "Added [tool.schemadiff] to" if pyproject.exists() else "Created"
            with pyproject.open("a", encoding="utf-8") as f:
                f.write(_section_text(config.dir, given))
            missing = " and ".join(k for k in _SECTION_EXAMPLES if k not in given)
            done.append(f"{verb} pyproject.toml" + (f" (set {missing} there)" if missing else ""))
    except OSError as e:
        raise SchemadiffError(f"cannot create {config.dir}: {e.strerror}") from None
    return done


def _check_given(config: Config, given: Mapping[str, str]) -> None:
    if config.has_section:
        # A flag would win over the section for this run only; later commands would not see it.
        in_file = load_config(config.root, env={})
        for key, value in given.items():
            said = getattr(in_file, key)
            if said != value:
                has = f"{key} = {_toml_string(said)}" if said else f"no {key}"
                raise SchemadiffError(
                    f"pyproject.toml has a [tool.schemadiff] section already, with {has}: init does "
                    f"not change it; set {key} = {_toml_string(value)} there first, then run `schemadiff init`"
                )
    elif "url" in given and sa.engine.make_url(given["url"]).password:
        raise SchemadiffError(
            "init --url: the URL has a password, and pyproject.toml is meant to be committed: "
            "give that URL through SCHEMADIFF_URL instead"
        )


def _section_text(directory: str, given: Mapping[str, str]) -> str:
    lines = {
        key: f"{key} = {_toml_string(given[key])}" if key in given else f"# {key} = {_toml_string(example)}"
        for key, example in _SECTION_EXAMPLES.items()
    }
    return CONFIG_SECTION.format(dir=_toml_string(directory), **lines)


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


@dataclass(frozen=True)
class Generated:
    """What `generate` did: the ops it found and the script it wrote (None when nothing differs)."""

    ops: tuple[Op, ...]
    path: Optional[Path] = None
    revision: Optional[str] = None
    #: What became of the head snapshot: written, or why not.
    snapshot_note: str = ""


def generate_revision(
    config: Config,
    message: str,
    conn: Optional[Connection] = None,
    metadata: Optional[sa.MetaData] = None,
    rev_id: Optional[str] = None,
    now: Optional[datetime] = None,
    renames: Renames = Renames(),
    ask: Optional[Ask] = None,
) -> Generated:
    """Writes a script for the database (at head) vs the models; with no connection, an empty one.

    Tables and columns that the models or `renames` say were renamed are renamed, not dropped;
    so are those that `ask` says yes to, when asked about a drop that looks like a rename."""
    require_message(message)
    revisions = revision_map(config)
    head = single_head(revisions)
    rev = _new_id(revisions, rev_id)
    if conn is None:
        ops: list[Op] = []
        dialect, database = None, None
    else:
        _require_at_head(conn, config, head)
        database, ops = changes(conn, metadata, Scope.from_config(config), renames, ask)
        dialect = for_sa_dialect(conn.dialect)
        if not ops:
            return Generated(())
        _require_runnable_keys(ops, database, dialect)
    now = now or datetime.now(timezone.utc)
    info = ScriptInfo(message, rev, (head,) if head else (), now.strftime("%Y-%m-%d %H:%M:%S UTC"))
    source = render_script(ops, info, dialect or _any_dialect(), _template(config), config.line_length, database)
    path = script_path(config, _folder_for(config, revisions, info.down_revision), _file_name(config, rev, message, now))
    _write(path, source)
    return Generated(tuple(ops), path, rev, update_head_snapshot(config))


def merge_revisions(config: Config, message: str, targets: tuple[str, ...], rev_id: Optional[str] = None, now: Optional[datetime] = None) -> Generated:
    """Writes a script that joins `targets` (ids, prefixes or `heads`) into one head."""
    require_message(message)
    revisions = revision_map(config)
    parents: list[str] = []
    for target in targets:
        parents += [r for r in revisions.resolve(target, ()) if r not in parents]
    if len(parents) < 2:
        raise SchemadiffError(f"merge needs two revisions or more; {' '.join(targets)} names {len(parents)}")
    rev = _new_id(revisions, rev_id)
    now = now or datetime.now(timezone.utc)
    info = ScriptInfo(message, rev, tuple(parents), now.strftime("%Y-%m-%d %H:%M:%S UTC"))
    source = render_script([], info, _any_dialect(), _template(config), config.line_length)
    path = script_path(
        config,
        _folder_for(config, revisions, info.down_revision),
        _file_name(config, rev, message, now),
    )
    _write(path, source)
    return Generated((), path, rev, update_head_snapshot(config))


def update_head_snapshot(config: Config) -> str:
    """Moves the committed head snapshot along by the new script, offline; where there is none to
    move, rebuilds it as `schemadiff snapshot` does, on a scratch database beside the configured
    one (or on dev_url). Says what it did, or why it could not."""
    try:
        path = advance_head_snapshot(config) or rebuild_head_snapshot(config, config.dev_url or config.url)
    except Exception as e:  # the script is written; a replay that fails must not undo that
        reason = " ".join(str(e).split()) or type(e).__name__
        return f"The head snapshot was not updated ({reason}): run schemadiff snapshot"
    return f"Wrote {config.dir}/{path.name}"


def _require_runnable_keys(ops: list[Op], database: Snapshot, dialect: Dialect) -> None:
    """Refuses a script whose new foreign key the database would refuse (the models name a target
    without a key: mlflow's input_tags -> inputs on PostgreSQL), before anything is written."""
    schema = apply_all(database, ops)
    for op in ops:
        for fk in _new_foreign_keys(op):
            target = schema.table(fk.ref_table, fk.ref_schema)
            reason = target and dialect.refuses_foreign_key(fk, target)
            if reason:
                name = f" {fk.name}" if fk.name else ""
                raise SchemadiffError(
                    f"the models' foreign key{name} on {op.target} ({', '.join(fk.columns)}) "
                    f"cannot be created: {reason}; give the target a key, or leave the foreign key "
                    "out with include_object (type_ \"foreign_key_constraint\")"
                )


def _new_foreign_keys(op: Op) -> tuple[ForeignKey, ...]:
    if isinstance(op, o.CreateTable):
        return op.table.foreign_keys
    if isinstance(op, o.AddConstraint) and isinstance(op.constraint, ForeignKey):
        return (op.constraint,)
    return ()


def require_message(message: str) -> None:
    if not message.strip():
        raise SchemadiffError("-m: the message is empty: say in a few words what the revision does")


def _any_dialect() -> Dialect:
    """An empty script names no types, so any dialect renders it the same."""
    from sqlalchemy.dialects import sqlite

    return for_sa_dialect(sqlite.dialect())


def _require_at_head(conn: Connection, config: Config, head: Optional[str]) -> None:
    current = read_versions(conn, config.version_table, config.version_table_schema)
    if current != ((head,) if head else ()):
        at = ", ".join(current) or "base"
        raise SchemadiffError(f"database is at {at}, head is {head or 'base'}: run `schemadiff upgrade` first")


def _new_id(revisions: RevisionMap, rev_id: Optional[str]) -> str:
    if rev_id is None:
        return new_revision_id()
    if not re.fullmatch(r"[A-Za-z0-9_]+", rev_id):
        raise SchemadiffError(f"--rev-id {rev_id!r}: use letters, digits and underscores only")
    if rev_id in {r.id for r in revisions}:
        raise SchemadiffError(f"--rev-id {rev_id!r}: a revision with that id exists already")
    return rev_id


def _template(config: Config) -> str:
    path = config.migrations_dir / TEMPLATE_NAME
    return path.read_text(encoding="utf-8") if path.exists() else DEFAULT_TEMPLATE


def slugify(message: str, length: int = 40) -> str:
    """'Add username constraint on user!' -> 'add_username_constraint_on_user', cut at a word."""
    words = re.sub(r"\W+", " ", message.lower()).split()
    slug = ""
    for word in words:
        candidate = f"{slug}_{word}" if slug else word
        if len(candidate) > length:
            break
        slug = candidate
    return slug or (words[0][:length] if words else "")


def _file_name(config: Config, rev: str, message: str, now: datetime) -> str:
    return file_name(config.file_template, rev, message, now, config.truncate_slug_length)


def file_name(template: str, rev: str, message: str, now: datetime, slug_length: int = 40) -> str:
    tokens = {
        "rev": rev,
        "slug": slugify(message, slug_length),
        "year": now.year,
        "month": now.month,
        "day": now.day,
        "hour": now.hour,
        "minute": now.minute,
        "second": now.second,
        "epoch": int(now.timestamp()),
    }
    # alembic.ini doubles each % (an ini escape); a template copied from there means single ones.
    template = template.replace("%%(", "%(")
    try:
        return (template % tokens).strip("_") or rev
    except (KeyError, ValueError, TypeError) as e:
        raise SchemadiffError(f"file_template {template!r}: {e!r} is not a known token") from None


def _folder_for(config: Config, revisions: RevisionMap, parents: tuple[str, ...]) -> Path:
    """The versions folder that holds the first parent's script (several folders often keep one
    branch each, as under Alembic); the first folder for a script that starts from base."""
    for parent in parents[:1]:
        where = revisions.get(parent).path.resolve()
        for folder in config.versions_dirs:
            if where.is_relative_to(folder.resolve()):
                return folder
    return config.versions_dir


def script_path(config: Config, folder: Path, name: str) -> Path:
    """Where the script called `name` goes in `folder`; file_template may make a subfolder."""
    relative = Path(name + ".py")
    if relative.is_absolute() or ".." in relative.parts or any(
        part.startswith(("_", ".")) for part in relative.parts
    ):
        raise SchemadiffError(
            f"file_template {config.file_template!r} makes {relative}: it must stay inside "
            f"{_relative(folder, config.root)}, with no name starting with _ or . (those are skipped)"
        )
    return folder / relative


def _relative(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _write(path: Path, source: str) -> None:
    if path.exists():
        raise SchemadiffError(f"{path} exists already")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source, encoding="utf-8")
    except OSError as e:
        raise SchemadiffError(f"cannot write {path}: {e.strerror}") from None

"""`init --from-alembic`: a [tool.schemadiff] section that runs an Alembic project as it is.

The section points at the same scripts and the same version table; the scripts stay where they
are. A URL with a password is never written (pyproject.toml is committed): it belongs in
SCHEMADIFF_URL.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Mapping, Optional

from .alembic_config import (
    DEFAULT_FILE_TEMPLATE,
    DEFAULT_SLUG_LENGTH,
    AlembicProject,
    read_alembic_project,
)
from .config import load_config, mask_url
from .errors import SchemadiffError

if TYPE_CHECKING:
    import sqlalchemy as sa


def adopt_alembic(path: Path, given: Optional[Mapping[str, str]] = None) -> list[str]:
    """Writes [tool.schemadiff] for the Alembic project at `path`; says what it wrote, line by line.

    `given` holds --metadata and --url when the user passed them: they win over what was read.
    """
    given = given or {}
    if "dir" in given:
        raise SchemadiffError(
            "init --from-alembic takes the migrations folder from script_location: drop --dir"
        )
    project = read_alembic_project(path)
    pyproject = project.root / "pyproject.toml"
    if load_config(project.root, env={}).has_section:
        raise SchemadiffError(
            f"{_shown(pyproject, Path.cwd())} has a [tool.schemadiff] section already: nothing was changed"
        )
    url, url_note = _url(given.get("url") or project.url, "url" in given, project.root)
    section = _section(project, url, given.get("metadata") or project.metadata)
    verb = "Added [tool.schemadiff] to" if pyproject.exists() else "Created"
    _append(pyproject, section)
    notes = ([url_note] if url_note else []) + list(project.notes)
    return [
        f"Read {', '.join(project.sources)}",
        f"{verb} {_shown(pyproject, Path.cwd())}:",
        *(f"  {line}" if line else "" for line in section.rstrip("\n").splitlines()),
        *(f"Note: {note}" for note in notes),
        f"The scripts stay where they are; {project.version_table} stays the version table.",
    ]


def _append(pyproject: Path, section: str) -> None:
    """Adds `section` at the end of `pyproject` (made if missing), after a blank line."""
    try:
        existing = pyproject.read_text(encoding="utf-8") if pyproject.exists() else ""
        gap = "" if not existing else "\n" if existing.endswith("\n") else "\n\n"
        pyproject.write_text(existing + gap + section, encoding="utf-8")
    except OSError as e:
        raise SchemadiffError(f"cannot write {pyproject}: {e.strerror}") from None


def _url(url: Optional[str], given: bool, root: Path) -> tuple[Optional[str], Optional[str]]:
    """The URL to write, or None and a note that says why not and what to do instead."""
    import sqlalchemy as sa

    if not url:
        return None, "no sqlalchemy.url: give the database in SCHEMADIFF_URL or --url, or set url"
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        return (
            None,
            f"sqlalchemy.url {url!r} is not a URL: give the database in SCHEMADIFF_URL or --url",
        )
    if parsed.password is None:
        return _portable(parsed, root) or url, None
    if given:
        raise SchemadiffError(
            "init --url: the URL has a password, and pyproject.toml is meant to be committed: "
            "give that URL through SCHEMADIFF_URL instead"
        )
    return None, (
        f"sqlalchemy.url has a password, so it is not written to pyproject.toml (it is committed): "
        f"export SCHEMADIFF_URL={mask_url(url)} with the real password"
    )


def _portable(url: "sa.URL", root: Path) -> Optional[str]:
    """A SQLite file inside the project as a path relative to it (`%(here)s` made it absolute):
    schemadiff runs where pyproject.toml is, and the project may move."""
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or not os.path.isabs(database):
        return None
    if not Path(database).is_relative_to(root):
        return None
    return url.set(database=os.path.relpath(database, root)).render_as_string(hide_password=False)


def _section(project: AlembicProject, url: Optional[str], metadata: Optional[str]) -> str:
    """The section's text: only the keys whose values differ from schemadiff's defaults, and
    commented examples for the two it could not fill."""
    root = project.root
    lines = [
        f"# Written by `schemadiff init --from-alembic` from {', '.join(project.sources)}",
        "[tool.schemadiff]",
        _key("url", url) if url else "# url: in SCHEMADIFF_URL, or here when it has no password",
        _key("metadata", metadata) if metadata else '# metadata = "app.models:Base"',
        _key("dir", _relative(project.script_location, root)),
    ]
    if project.version_locations:
        lines.append(
            _key("version_locations", [_relative(p, root) for p in project.version_locations])
        )
    lines.append(_key("version_table", project.version_table))
    if project.version_table_schema:
        lines.append(_key("version_table_schema", project.version_table_schema))
    if project.file_template != DEFAULT_FILE_TEMPLATE:
        lines.append(_key("file_template", project.file_template))
    if project.prepend_sys_path and project.prepend_sys_path != (root,):
        lines.append(
            _key("prepend_sys_path", [_relative(p, root) for p in project.prepend_sys_path])
        )
    for key in ("setup", "include_name", "include_object"):
        if getattr(project, key):
            lines.append(_key(key, getattr(project, key)))
    if project.truncate_slug_length != DEFAULT_SLUG_LENGTH:
        lines.append(f"truncate_slug_length = {project.truncate_slug_length}")
    return "\n".join(lines) + "\n"


def _key(name: str, value) -> str:
    return f"{name} = {json.dumps(value)}"  # JSON strings and lists of them are valid TOML


def _relative(path: Path, root: Path) -> str:
    return Path(os.path.relpath(path, root)).as_posix()


def _shown(path: Path, cwd: Path) -> str:
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else str(path)

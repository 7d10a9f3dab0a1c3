"""Settings: `[tool.schemadiff]` in pyproject.toml, then SCHEMADIFF_URL, then command-line flags."""

from __future__ import annotations

import importlib
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Mapping, Optional

from .errors import SchemadiffError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

if TYPE_CHECKING:
    import sqlalchemy as sa

VERSION_TABLE = "schemadiff_version"


@dataclass(frozen=True)
class Config:
    root: Path = Path(".")
    url: Optional[str] = None
    metadata: Optional[str] = None
    dir: str = "migrations"
    exclude_tables: tuple[str, ...] = ()
    schemas: tuple[str, ...] = ()
    file_template: str = "%(rev)s_%(slug)s"
    version_table: str = VERSION_TABLE
    version_table_schema: Optional[str] = None
    #: Seconds a migration waits for another one on the same database to finish.
    lock_timeout: float = 60
    #: Whether pyproject.toml already has a [tool.schemadiff] section.
    has_section: bool = False
    #: black's line length for rendered scripts, from [tool.black] when the project sets one.
    line_length: int = 88
    #: Hazard classes and codes that fail `check` (see hazards.py).
    fail_on: tuple[str, ...] = ()
    #: The git ref whose merge base with HEAD tells which revision scripts are new, offline.
    review_base: Optional[str] = None
    #: postgresql, mysql or sqlite, for commands that do not connect; else the URL's scheme tells.
    dialect: Optional[str] = None
    #: A server where `schemadiff snapshot` may create and drop a scratch database.
    dev_url: Optional[str] = None
    #: Folders of revision scripts, relative to root; none means `<dir>/versions`.
    version_locations: tuple[str, ...] = ()
    #: Folders, relative to root, put first on sys.path before the models or scripts are imported.
    prepend_sys_path: tuple[str, ...] = ()
    #: The longest slug (from the message) in the file names of new scripts.
    truncate_slug_length: int = 40
    #: A module imported before revision scripts run (what env.py imported for them).
    setup: Optional[str] = None
    #: `module:function` filters with Alembic's signatures, next to exclude_tables (see filters.py).
    include_name: Optional[str] = None
    include_object: Optional[str] = None

    @property
    def migrations_dir(self) -> Path:
        return self.root / self.dir

    @property
    def versions_dirs(self) -> tuple[Path, ...]:
        """Every folder of revision scripts; the first one takes new scripts that start a branch."""
        if self.version_locations:
            return tuple(self.root / location for location in self.version_locations)
        return (self.migrations_dir / "versions",)

    @property
    def versions_dir(self) -> Path:
        """The first folder of revision scripts."""
        return self.versions_dirs[0]

    @property
    def import_paths(self) -> tuple[Path, ...]:
        """What goes first on sys.path for the models and the scripts' own imports."""
        return tuple(self.root / path for path in self.prepend_sys_path) or (self.root,)

    def require_url(self) -> str:
        if not self.url:
            raise SchemadiffError(
                "no database URL: pass --url, set SCHEMADIFF_URL, "
                "or add url = \"...\" under [tool.schemadiff] in pyproject.toml"
            )
        return self.url

    def require_metadata(self) -> str:
        if not self.metadata:
            raise SchemadiffError(
                "no models: pass --metadata module:attr, "
                "or add metadata = \"module:attr\" under [tool.schemadiff] in pyproject.toml"
            )
        return self.metadata


_KEYS = {
    "url": str,
    "metadata": str,
    "dir": str,
    "exclude_tables": list,
    "schemas": list,
    "file_template": str,
    "version_table": str,
    "version_table_schema": str,
    "fail_on": list,
    "review_base": str,
    "dialect": str,
    "dev_url": str,
    "version_locations": list,
    "prepend_sys_path": list,
    "truncate_slug_length": int,
    "setup": str,
    "include_name": str,
    "include_object": str,
}


def load_config(
    root: Optional[Path] = None,
    env: Mapping[str, str] = os.environ,
    **flags: Optional[str],
) -> Config:
    """Config for the project in `root` (default: the current folder); flags that are None are unset."""
    root = Path(root or Path.cwd())
    pyproject = read_pyproject(root / "pyproject.toml")
    section = _section(pyproject, root / "pyproject.toml")
    values: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in (section or {}).items()}
    line_length = pyproject.get("tool", {}).get("black", {}).get("line-length")
    if isinstance(line_length, int):
        values["line_length"] = line_length
    if env.get("SCHEMADIFF_URL"):
        values["url"] = env["SCHEMADIFF_URL"]
    if env.get("SCHEMADIFF_DEV_URL"):
        values["dev_url"] = env["SCHEMADIFF_DEV_URL"]
    values.update({k: v for k, v in flags.items() if v is not None})
    return Config(root=root, has_section=section is not None, **values)


def read_pyproject(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise SchemadiffError(f"{path}: not valid TOML: {e}") from None


def _section(data: dict, path: Path) -> Optional[dict]:
    section = data.get("tool", {}).get("schemadiff")
    if section is None:
        return None
    for key, value in section.items():
        expected = _KEYS.get(key)
        if expected is None:
            known = ", ".join(sorted(_KEYS))
            raise SchemadiffError(f"{path}: unknown key {key!r} in [tool.schemadiff] (known: {known})")
        if not _is_a(value, expected):
            kind = {list: "a list of strings", int: "a positive integer", str: "a string"}[expected]
            raise SchemadiffError(f"{path}: [tool.schemadiff] {key} must be {kind}")
    return section


def _is_a(value: Any, expected: type) -> bool:
    if expected is list:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if expected is int:  # TOML's true is an int to Python, not a length
        return isinstance(value, int) and not isinstance(value, bool) and value > 0
    return isinstance(value, expected)


def use_import_paths(config: Config) -> None:
    """Puts `config.import_paths` first on sys.path, in their order, as Alembic does with
    prepend_sys_path: scripts and models import the project's own modules."""
    for path in reversed(config.import_paths):
        if str(path) in sys.path:
            sys.path.remove(str(path))
        sys.path.insert(0, str(path))


def load_models(config: Config) -> "sa.MetaData":
    """The configured models, imported with the configured import paths."""
    use_import_paths(config)
    return load_metadata(config.require_metadata(), config.root)


def import_project_module(label: str, module_name: str, root: Optional[Path]) -> ModuleType:
    """One of the project's modules (its root first on sys.path); a failure is one line that
    starts with `label`, the setting that named the module."""
    if root is not None and str(root) not in sys.path:
        sys.path.insert(0, str(root))
    try:
        return importlib.import_module(module_name)
    except ImportError as e:
        raise SchemadiffError(f"{label}: cannot import {module_name!r}: {e}") from None
    except Exception as e:
        raise SchemadiffError(
            f"{label}: importing {module_name!r} failed: {type(e).__name__}: {e}"
        ) from None


def load_metadata(spec: str, root: Path) -> "sa.MetaData":
    """Imports `module:attr` (attr may be dotted) and returns its MetaData."""
    import sqlalchemy as sa

    module_name, sep, attr_path = spec.partition(":")
    if not sep or not module_name or not attr_path:
        raise SchemadiffError(f"--metadata {spec!r}: expected the form module:attr, e.g. app.models:Base")
    obj: Any = import_project_module(f"--metadata {spec!r}", module_name, root)
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            raise SchemadiffError(f"--metadata {spec!r}: {module_name!r} has no attribute {attr_path!r}")
        obj = getattr(obj, part)
    metadata = obj if isinstance(obj, sa.MetaData) else getattr(obj, "metadata", None)
    if not isinstance(metadata, sa.MetaData):
        raise SchemadiffError(
            f"--metadata {spec!r} is a {type(obj).__name__}, not a MetaData "
            "or an object with a .metadata (such as a declarative Base)"
        )
    return metadata


def mask_url(url: str) -> str:
    """The URL with its password hidden, fit to print."""
    import sqlalchemy as sa

    try:
        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparsable URL>"


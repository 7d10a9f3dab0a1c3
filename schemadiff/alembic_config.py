"""An Alembic project's settings, as `init --from-alembic` needs them: alembic.ini and/or
`[tool.alembic]` in pyproject.toml, and what env.py says plainly.

Nothing of the project runs: env.py is read with `ast`, and a package-style script_location
(`myapp:migrations`) is found on disk, not imported. Paths come out absolute.
"""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

from .config import read_pyproject
from .errors import SchemadiffError

INI_SECTION = "alembic"
VERSION_TABLE = "alembic_version"
DEFAULT_FILE_TEMPLATE = "%(rev)s_%(slug)s"
DEFAULT_SLUG_LENGTH = 40

# Alembic's names for the characters that separate several paths in one ini value.
_SEPARATORS = {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";"}
# Without a separator key, Alembic splits version_locations on spaces and commas, and
# prepend_sys_path on colons too.
_LEGACY_SPLIT = {
    "version_locations": re.compile(r", *| +"),
    "prepend_sys_path": re.compile(r", *| +|:"),
}
# context.configure() arguments that change nothing schemadiff must know: the connection, and
# comparisons schemadiff always makes (types, server defaults) or rebuilds it always does.
_UNDERSTOOD = {
    "connection", "url", "target_metadata", "literal_binds", "dialect_opts", "dialect_name",
    "version_table", "version_table_schema", "compare_type", "compare_server_default",
    "render_as_batch", "as_sql", "transactional_ddl", "transaction_per_migration",
}  # fmt: skip
_RENDERING = "it shapes the scripts Alembic writes; schemadiff writes its own (see script.py.tmpl)"
_FILTERS = ("include_name", "include_object")
_NOT_THE_PROJECT = sys.stdlib_module_names | {"alembic", "sqlalchemy"}
# What to do instead of the configure() arguments that schemadiff takes from its own settings.
_ADVICE = {
    "include_object": 'move the function into a module and set include_object = "module:function" '
    "under [tool.schemadiff] (exclude_tables takes plain name patterns)",
    "include_name": 'move the function into a module and set include_name = "module:function" '
    "under [tool.schemadiff]",
    "include_schemas": "list the schemas besides the default one in schemas = [...] under "
    "[tool.schemadiff]",
    "process_revision_directives": _RENDERING,
    "render_item": _RENDERING,
    "user_module_prefix": _RENDERING,
}


@dataclass(frozen=True)
class AlembicProject:
    """What an Alembic project is set up to do, read without running any of it."""

    #: The folder of alembic.ini (or of the pyproject.toml holding [tool.alembic]).
    root: Path
    #: Where the settings came from, e.g. ("alembic.ini [alembic]", "migrations/env.py").
    sources: tuple[str, ...]
    script_location: Path
    #: Empty when Alembic's default, <script_location>/versions, holds the scripts.
    version_locations: tuple[Path, ...] = ()
    file_template: str = DEFAULT_FILE_TEMPLATE
    prepend_sys_path: tuple[Path, ...] = ()
    url: Optional[str] = None
    truncate_slug_length: int = DEFAULT_SLUG_LENGTH
    version_table: str = VERSION_TABLE
    version_table_schema: Optional[str] = None
    #: `module:attr` of the models, when env.py names target_metadata plainly.
    metadata: Optional[str] = None
    #: `module:function` filters, when env.py imports them plainly.
    include_name: Optional[str] = None
    include_object: Optional[str] = None
    #: The module env.py imports for its effects, imported before the scripts run.
    setup: Optional[str] = None
    #: What could not be read plainly, and what to do about it.
    notes: tuple[str, ...] = ()


def read_alembic_project(path: Path) -> AlembicProject:
    """The settings of the Alembic project at `path`: a folder, an alembic.ini or a pyproject.toml."""
    ini_path, toml_path = _config_files(path)
    root = (ini_path or toml_path).parent.absolute()
    ini = _AlembicIni(ini_path) if ini_path else None
    tool = _ToolAlembic(toml_path) if toml_path else None
    if ini and not ini.parser.has_section(INI_SECTION):
        if tool is None:
            raise SchemadiffError(f"{ini_path}: no [{INI_SECTION}] section")
        ini = None  # an ini for logging only, beside [tool.alembic]
    settings = _Settings(ini, tool)
    import_paths = tuple(_path(p, root) for p in settings.paths("prepend_sys_path"))
    script_location = _script_location(settings.value("script_location"), root, import_paths)
    env = read_env(script_location / "env.py", root)
    sources = tuple(s.shown for s in (ini, tool) if s) + env.sources
    return AlembicProject(
        root=root,
        sources=sources,
        script_location=script_location,
        version_locations=tuple(_path(p, root) for p in settings.paths("version_locations")),
        file_template=settings.value("file_template") or DEFAULT_FILE_TEMPLATE,
        prepend_sys_path=import_paths,
        url=ini.value("sqlalchemy.url") if ini else None,
        truncate_slug_length=settings.slug_length(),
        version_table=env.version_table or VERSION_TABLE,
        version_table_schema=env.version_table_schema,
        metadata=env.metadata,
        include_name=env.include_name,
        include_object=env.include_object,
        setup=env.setup,
        notes=env.notes,
    )


def _config_files(path: Path) -> tuple[Optional[Path], Optional[Path]]:
    """alembic.ini and the pyproject.toml with [tool.alembic] that `path` names, either may be None."""
    if path.is_dir():
        ini, toml = path / "alembic.ini", path / "pyproject.toml"
    elif path.name == "pyproject.toml":
        ini, toml = None, path
    elif path.is_file():
        ini, toml = path, path.parent / "pyproject.toml"
    else:
        raise SchemadiffError(f"--from-alembic {path}: no such file or folder")
    ini = ini if ini and ini.is_file() else None
    toml = toml if toml.is_file() and "alembic" in read_pyproject(toml).get("tool", {}) else None
    if ini is None and toml is None:
        where = path if path.is_dir() else path.parent
        raise SchemadiffError(
            f"--from-alembic: no alembic.ini and no [tool.alembic] in pyproject.toml in {where}"
        )
    return ini, toml


class _AlembicIni:
    """The [alembic] section of alembic.ini, read as Alembic reads it: `%(here)s` is the ini's
    folder, `%(key)s` another key of the section or of [DEFAULT], `%%` a percent sign."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shown = f"{path.name} [{INI_SECTION}]"
        self.parser = configparser.ConfigParser(
            defaults={"here": path.parent.absolute().as_posix()}
        )
        try:
            self.parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError) as e:
            raise SchemadiffError(f"{path}: not a valid ini file: {_one_line(e)}") from None

    def value(self, key: str) -> Optional[str]:
        if not self.parser.has_option(INI_SECTION, key):
            return None
        try:
            return self.parser.get(INI_SECTION, key).strip() or None
        except configparser.Error as e:
            raise SchemadiffError(f"{self.path}: [{INI_SECTION}] {key}: {_one_line(e)}") from None

    def paths(self, key: str) -> Optional[list[str]]:
        text = self.value(key)
        if text is None:
            return None
        separator = self._separator(key)
        if separator is None:
            return [p for p in _LEGACY_SPLIT[key].split(text) if p]
        return [p.strip() for p in text.split(separator) if p.strip()]

    def _separator(self, key: str) -> Optional[str]:
        # version_path_separator is the older name, for version_locations only.
        names = ("path_separator", "version_path_separator")
        for name in names if key == "version_locations" else names[:1]:
            given = self.value(name)
            if given is not None:
                if given not in _SEPARATORS:
                    raise SchemadiffError(
                        f"{self.path}: [{INI_SECTION}] {name} = {given!r}: "
                        f"expected one of {', '.join(_SEPARATORS)}"
                    )
                return _SEPARATORS[given]
        return None


class _ToolAlembic:
    """[tool.alembic] in pyproject.toml (Alembic 1.16+), where `%(here)s` is the file's folder."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shown = f"{path.name} [tool.alembic]"
        self.section = read_pyproject(path)["tool"]["alembic"]
        self.here = {"here": path.parent.absolute().as_posix()}

    def value(self, key: str) -> Any:
        value = self.section.get(key)
        if isinstance(value, str):
            return self._interpolate(key, value).strip() or None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return [self._interpolate(key, v) for v in value]
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        raise SchemadiffError(
            f"{self.path}: [tool.alembic] {key} must be a string or a list of strings"
        )

    def paths(self, key: str) -> Optional[list[str]]:
        value = self.value(key)
        return [value] if isinstance(value, str) else value

    def _interpolate(self, key: str, text: str) -> str:
        try:
            return text % self.here
        except (KeyError, ValueError, TypeError) as e:
            raise SchemadiffError(
                f"{self.path}: [tool.alembic] {key}: cannot substitute {e}"
            ) from None


@dataclass(frozen=True)
class _Settings:
    """Alembic's order: a key in alembic.ini wins over the same key in [tool.alembic]."""

    ini: Optional[_AlembicIni]
    tool: Optional[_ToolAlembic]

    def value(self, key: str) -> Any:
        found = self.ini.value(key) if self.ini else None
        return found if found is not None or self.tool is None else self.tool.value(key)

    def paths(self, key: str) -> list[str]:
        found = self.ini.paths(key) if self.ini else None
        if found is None and self.tool:
            found = self.tool.paths(key)
        return found or []

    def slug_length(self) -> int:
        value = self.value("truncate_slug_length")
        if value is None:
            return DEFAULT_SLUG_LENGTH
        try:
            length = int(value)
        except ValueError:
            length = 0
        if length <= 0:
            raise SchemadiffError(f"truncate_slug_length = {value!r}: expected a positive integer")
        return length


def _path(text: str, root: Path) -> Path:
    """A path from the settings: relative ones start at `root`, where Alembic is run from."""
    return Path(os.path.normpath(root / Path(text).expanduser()))


def _script_location(text: Optional[str], root: Path, import_paths: tuple[Path, ...]) -> Path:
    if not text:
        raise SchemadiffError(
            "no script_location in alembic.ini [alembic] or pyproject.toml [tool.alembic]"
        )
    package, colon, inside = text.partition(":")
    if not colon or os.path.isabs(text):
        return _path(text, root)
    folder = _package_folder(package, (root,) + import_paths)
    if folder is None:
        raise SchemadiffError(
            f"script_location {text!r}: package {package!r} is not found in {root} or on "
            f'prepend_sys_path: set dir = "path/to/migrations" under [tool.schemadiff] by hand'
        )
    return Path(os.path.normpath(folder.joinpath(*inside.split(":"))))


def _package_folder(package: str, search: tuple[Path, ...]) -> Optional[Path]:
    """The folder of `package`, found without importing it (an installed one too, if top-level)."""
    relative = Path(*package.split("."))
    for folder in search:
        if (folder / relative).is_dir():
            return folder / relative
    if "." in package:
        return None  # finding a submodule's spec would import its parents
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if locations else None


# env.py


@dataclass(frozen=True)
class EnvSettings:
    """What env.py says plainly about the models and the version table."""

    sources: tuple[str, ...] = ()
    metadata: Optional[str] = None
    version_table: Optional[str] = None
    version_table_schema: Optional[str] = None
    #: `module:function` filters that env.py imports and passes to configure().
    include_name: Optional[str] = None
    include_object: Optional[str] = None
    #: The one module env.py imports only for what importing it does.
    setup: Optional[str] = None
    notes: tuple[str, ...] = ()


def read_env(path: Path, root: Path) -> EnvSettings:
    """env.py read with `ast`: target_metadata, and configure()'s version table and its schema."""
    shown = _shown(path, root)
    if not path.is_file():
        return EnvSettings(
            notes=(f'no {shown}: set metadata = "module:attr" under [tool.schemadiff]',)
        )
    try:
        module = ast.parse(path.read_bytes(), filename=str(path))
    except (SyntaxError, ValueError) as e:
        raise SchemadiffError(f"{path}: cannot be parsed: {_one_line(e)}") from None
    names, modules = _top_level_names(module), _imported_modules(module)
    notes: list[str] = []
    metadata = _reference(_without_metadata(names.get("target_metadata")), names, modules)
    if metadata is None:
        notes.append(
            f'{shown} does not name target_metadata plainly: set metadata = "module:attr" '
            "(your declarative Base or MetaData) under [tool.schemadiff]"
        )
    table, schema = (
        _configured(module, key, names, shown, notes)
        for key in ("version_table", "version_table_schema")
    )
    filters = {key: _imported_filter(module, key, names, modules) for key in _FILTERS}
    for key, spec in filters.items():
        if spec:
            notes.append(
                f"{shown} passes {key} = {spec}: schemadiff calls it with its own snapshot values "
                "(names, columns, types as text), not SQLAlchemy objects: check that it reads only those"
            )
    notes += _unread_arguments(module, shown, {key for key, spec in filters.items() if spec})
    unused = _unused_imports(module)
    setup = unused[0] if len(unused) == 1 else None
    if unused:
        notes.append(
            f"{shown} imports {', '.join(unused)} and uses {'it' if setup else 'them'} no further: "
            + (
                "taken as setup, imported before the scripts run"
                if setup
                else "if the scripts rely on them, name one module that imports them as setup"
            )
        )
    if _sets_url(module):
        notes.append(
            f"{shown} sets sqlalchemy.url itself: give schemadiff that URL in SCHEMADIFF_URL or --url"
        )
    return EnvSettings(
        (shown,), metadata, table, schema, setup=setup, notes=tuple(notes), **filters
    )


@dataclass(frozen=True)
class _Imported:
    """What an import binds a name to: module `module`, or its attribute `name`."""

    module: str
    name: Optional[str] = None


def _top_level_names(module: ast.Module) -> dict[str, object]:
    """Each top-level name and what binds it last: an import (_Imported) or an assigned value."""
    names: dict[str, object] = {}
    for statement in module.body:
        if isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module:
            for alias in statement.names:
                names[alias.asname or alias.name] = _Imported(statement.module, alias.name)
        elif isinstance(statement, ast.Import):
            for alias in statement.names:
                # `import a.b` binds a; `import a.b as c` binds c to a.b.
                top = alias.name.partition(".")[0]
                names[alias.asname or top] = _Imported(alias.name if alias.asname else top)
        elif isinstance(statement, ast.Assign):
            for target in statement.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = statement.value
        elif isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            names[statement.target.id] = statement.value
    return names


def _unused_imports(module: ast.Module) -> list[str]:
    """Modules of the project that env.py imports and never names again: what importing them
    does (sys.path, registering types) is what the scripts rely on."""
    used = {
        n.id for n in ast.walk(module) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    return [
        alias.name
        for statement in module.body
        if isinstance(statement, ast.Import)
        for alias in statement.names
        if (alias.asname or alias.name.partition(".")[0]) not in used
        and alias.name.partition(".")[0] not in _NOT_THE_PROJECT
    ]


def _imported_modules(module: ast.Module) -> set[str]:
    return {
        alias.name
        for statement in module.body
        if isinstance(statement, ast.Import)
        for alias in statement.names
    }


def _without_metadata(node: object) -> object:
    """`X` for `X.metadata`: load_metadata takes X (a declarative Base) and reads its .metadata."""
    if isinstance(node, ast.Attribute) and node.attr == "metadata" and _dotted(node.value):
        return node.value
    return node


def _reference(node: object, names: dict[str, object], modules: set[str]) -> Optional[str]:
    """`module:attr` for a name or dotted name whose first part is imported plainly; else None."""
    chain = _dotted(node)
    bound = names.get(chain[0]) if chain else None
    if not isinstance(bound, _Imported):
        return None
    if bound.name is not None:
        return f"{bound.module}:{'.'.join([bound.name] + chain[1:])}"
    # `import a.b` then `a.b.Base`: the longest imported module that the chain starts with.
    dotted = ".".join([bound.module] + chain[1:])
    candidates = [m for m in modules | {bound.module} if dotted.startswith(m + ".")]
    if not candidates:
        return None
    module = max(candidates, key=len)
    return f"{module}:{dotted[len(module) + 1 :]}"


def _dotted(node: object) -> list[str]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.insert(0, node.attr)
        node = node.value
    return [node.id] + parts if isinstance(node, ast.Name) else []


def _configure_calls(module: ast.Module) -> Iterator[ast.Call]:
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and _dotted(node.func)[-1:] == ["configure"]:
            yield node


def _configured(
    module: ast.Module, key: str, names: dict[str, object], shown: str, notes: list[str]
) -> Optional[str]:
    """The one plain string every configure() call passes as `key`; None when none passes it."""
    values = set()
    for call in _configure_calls(module):
        for keyword in call.keywords:
            if keyword.arg == key:
                values.add(_plain_string(keyword.value, names))
    if not values:
        return None
    if None in values or len(values) > 1:
        notes.append(
            f"{shown} passes {key} to configure() in a way init cannot read: "
            f"set {key} under [tool.schemadiff] by hand"
        )
        return None
    return values.pop()


def _imported_filter(
    module: ast.Module, key: str, names: dict[str, object], modules: set[str]
) -> Optional[str]:
    """`module:function` when every configure() call passes one imported function as `key`."""
    specs = {
        _reference(keyword.value, names, modules)
        for call in _configure_calls(module)
        for keyword in call.keywords
        if keyword.arg == key
    }
    return specs.pop() if len(specs) == 1 and None not in specs else None


def _plain_string(node: object, names: dict[str, object]) -> Optional[str]:
    if isinstance(node, ast.Name) and isinstance(names.get(node.id), ast.Constant):
        node = names[node.id]
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _unread_arguments(module: ast.Module, shown: str, read: set[str]) -> list[str]:
    passed = {k.arg for call in _configure_calls(module) for k in call.keywords if k.arg} - read
    return [
        f"{shown} passes {name} to configure(): "
        + _ADVICE.get(
            name, 'schemadiff does not run env.py: see "Coming from Alembic" in its README'
        )
        for name in sorted(passed - _UNDERSTOOD)
    ]


def _sets_url(module: ast.Module) -> bool:
    for node in ast.walk(module):
        if isinstance(node, ast.Call) and _dotted(node.func)[-1:] == ["set_main_option"]:
            if node.args and _plain_string(node.args[0], {}) == "sqlalchemy.url":
                return True
    return False


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())

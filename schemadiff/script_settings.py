"""The project settings that revision scripts see, and the module they rely on being imported.

They come from the Config whose revisions were loaded last (`use_config`, called where the scripts
are read): its URL, folder and version table (context.config, op.get_context()), and its `setup`
module, imported before the first script of that project runs, as Alembic's env.py would have
imported it. Light: no SQLAlchemy, since reading the scripts' graph comes first.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .config import VERSION_TABLE, Config, import_project_module


@dataclass(frozen=True)
class ScriptSettings:
    """The project settings that revision scripts see (through context.config and get_context())."""

    url: Optional[str] = None
    script_location: str = "migrations"
    version_table: str = VERSION_TABLE
    version_table_schema: Optional[str] = None
    setup: Optional[str] = None
    root: Optional[str] = None

    @classmethod
    def from_config(cls, config: Config) -> "ScriptSettings":
        return cls(
            config.url,
            config.dir,
            config.version_table,
            config.version_table_schema,
            config.setup,
            str(config.root),
        )


_settings: ContextVar[ScriptSettings] = ContextVar(
    "schemadiff_script_settings", default=ScriptSettings()
)


def current_settings() -> ScriptSettings:
    return _settings.get()


def use_config(config: Config) -> None:
    """The scripts about to run are `config`'s project's: they see its settings from now on."""
    _settings.set(ScriptSettings.from_config(config))


def import_setup() -> None:
    """Imports the project's `setup` module (Python imports it once), which the scripts rely on as
    on env.py's imports."""
    settings = _settings.get()
    if settings.setup is None:
        return
    root = None if settings.root is None else Path(settings.root)
    import_project_module(f"setup {settings.setup!r}", settings.setup, root)

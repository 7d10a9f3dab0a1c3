"""The project settings that revision scripts see, and the module they rely on being imported.

They come from the Config whose revisions were loaded last (`use_config`, called where the scripts
are read): its URL, folder and version table (context.config, op.get_context()), and its `setup`
module, imported before the first script of that project runs, as Alembic's env.py would have
imported it. Light: no SQLAlchemy, since reading the scripts' graph comes first.
"""

from __future__ import annotations

import importlib
import sys
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Optional

from .config import VERSION_TABLE, Config
from .errors import SchemadiffError


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
    if settings.root is not None and settings.root not in sys.path:
        sys.path.insert(0, settings.root)
    try:
        importlib.import_module(settings.setup)
    except ImportError as e:
        raise SchemadiffError(f"setup {settings.setup!r}: cannot import it: {e}") from None
    except Exception as e:
        raise SchemadiffError(
            f"setup {settings.setup!r}: importing it failed: {type(e).__name__}: {e}"
        ) from None

"""schemadiff: keeps a database in step with SQLAlchemy models.

Most public names load on first use, so that `schemadiff --version` or a pre-commit hook does not
pay for the comparator, the renderer or a database driver it never uses.
"""

from importlib import import_module

# These two share their names with their modules, so they are bound here, where a later import of
# the module cannot shadow them; both modules are light (no SQLAlchemy at import).
from .compare import compare
from .reflect import reflect

__version__ = "0.1.0"

_LAZY = {
    "snapshot_metadata": ".from_metadata",
    "Snapshot": ".snapshot",
    "SchemadiffError": ".errors",
}

__all__ = sorted(["compare", "reflect", *_LAZY])


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'schemadiff' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value

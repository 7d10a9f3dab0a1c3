"""schemadiff: keeps a database in step with SQLAlchemy models.

The public names load on first use, so that `schemadiff --version` or a pre-commit hook does not
pay for the comparator, the renderer or a database driver it never uses.
"""

from importlib import import_module

__version__ = "0.1.0"

_PUBLIC = {
    "compare": ".compare",
    "reflect": ".reflect",
    "snapshot_metadata": ".from_metadata",
    "Snapshot": ".snapshot",
    "SchemadiffError": ".errors",
}

__all__ = sorted(_PUBLIC)


def __getattr__(name: str):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'schemadiff' has no attribute {name!r}")
    value = getattr(import_module(_PUBLIC[name], __name__), name)
    globals()[name] = value
    return value

"""One module per database; `for_sa_dialect` picks the right one."""

from __future__ import annotations

import weakref
from importlib import import_module

from sqlalchemy.engine.interfaces import Dialect as SADialect

from ..errors import SchemadiffError
from .base import Dialect


# One Dialect per SQLAlchemy dialect (one per engine): what it learnt from a reflection, such as
# the domains whose names column types give, still holds when the same engine's ops are rendered.
_DIALECTS: "weakref.WeakKeyDictionary[SADialect, Dialect]" = weakref.WeakKeyDictionary()


def for_sa_dialect(sa_dialect: SADialect) -> Dialect:
    if sa_dialect not in _DIALECTS:
        _DIALECTS[sa_dialect] = _new_dialect(sa_dialect)
    return _DIALECTS[sa_dialect]


def _new_dialect(sa_dialect: SADialect) -> Dialect:
    name = sa_dialect.name
    if name == "postgresql":
        from .postgresql import PostgresqlDialect as cls
    elif name in ("mysql", "mariadb"):
        from .mysql import MysqlDialect as cls
    elif name == "sqlite":
        from .sqlite import SqliteDialect as cls
    else:
        raise SchemadiffError(f"unsupported database dialect {name!r}: use postgresql, mysql or sqlite")
    return cls(sa_dialect)


# SQLAlchemy's base dialect class for each kind of server: it compiles types and names without
# importing a driver, which is all that comparing models with a stored snapshot needs.
_OFFLINE = {
    "postgresql": ("sqlalchemy.dialects.postgresql.base", "PGDialect"),
    "mysql": ("sqlalchemy.dialects.mysql.base", "MySQLDialect"),
    "mariadb": ("sqlalchemy.dialects.mysql.mariadb", "MariaDBDialect"),
    "sqlite": ("sqlalchemy.dialects.sqlite.base", "SQLiteDialect"),
}


def offline_dialect(server: str) -> Dialect:
    """The dialect for a kind of server (`Dialect.server`), with no connection and no driver."""
    if server not in _OFFLINE:
        raise SchemadiffError(f"unsupported database dialect {server!r}: use postgresql, mysql or sqlite")
    module, name = _OFFLINE[server]
    return for_sa_dialect(getattr(import_module(module), name)())


def dialect_name(backend: str) -> str:
    """schemadiff's name for a URL's backend (`mariadb` is served by the mysql dialect)."""
    return "mysql" if backend == "mariadb" else backend


__all__ = ["Dialect", "dialect_name", "for_sa_dialect", "offline_dialect"]

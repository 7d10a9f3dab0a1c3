"""One module per database; `for_sa_dialect` picks the right one."""

from __future__ import annotations

import weakref

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


__all__ = ["Dialect", "for_sa_dialect"]

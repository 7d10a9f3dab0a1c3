"""The databases schemadiff works with, and the package that provides each of their drivers."""

from __future__ import annotations

import sqlalchemy as sa

from .errors import SchemadiffError

SUPPORTED_BACKENDS = ("postgresql", "mysql", "mariadb", "sqlite")

# SQLAlchemy's driver name -> what installs it.
_INSTALL = {
    "psycopg": "pip install 'schemadiff[postgresql]'",
    "psycopg2": "pip install psycopg2-binary (or use postgresql+psycopg:// and pip install 'schemadiff[postgresql]')",
    "pg8000": "pip install pg8000",
    "pymysql": "pip install 'schemadiff[mysql]'",
    "mysqldb": "pip install mysqlclient (or use mysql+pymysql:// and pip install 'schemadiff[mysql]')",
    "mysqlconnector": "pip install mysql-connector-python",
    "mariadbconnector": "pip install mariadb",
}


def require_supported(url: sa.engine.URL, masked: str) -> None:
    """Refuses, in one line, a database or driver that schemadiff cannot work with."""
    dialect = url.get_dialect()  # an unknown name raises NoSuchModuleError first
    backend = url.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise SchemadiffError(
            f"schemadiff does not support {backend} databases ({masked}): "
            "it works with PostgreSQL, MySQL/MariaDB and SQLite"
        )
    if dialect.is_async:
        raise SchemadiffError(
            f"{dialect.driver} is an asyncio driver ({masked}): schemadiff needs a synchronous one, "
            "e.g. postgresql+psycopg:// or mysql+pymysql://"
        )


def missing_driver(url: sa.engine.URL, masked: str, module: str) -> SchemadiffError:
    driver = url.get_dialect().driver
    install = _INSTALL.get(driver, f"install the {driver} package")
    return SchemadiffError(f"the {driver} driver for {masked} is not installed (no module {module!r}): {install}")

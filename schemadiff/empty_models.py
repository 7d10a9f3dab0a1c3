"""Models that describe no table, beside a schema that has tables, are a setup mistake (the
module defines the MetaData but nothing imported the model classes), not a schema to migrate
to: Alembic's autogenerate then drops every table. schemadiff refuses instead."""

from __future__ import annotations

from .errors import SchemadiffError
from .snapshot import Snapshot


def refuse_empty_models(models: Snapshot, schema: Snapshot, schema_is: str) -> None:
    """Raises where `models` has no table and `schema` (what `schema_is` names) has some."""
    if models.tables or not schema.tables:
        return
    raise SchemadiffError(
        f"the models have no tables, and {schema_is} has {len(schema.tables)}: the module named by "
        "`metadata` defines the MetaData but may not import the model classes; point metadata at "
        "a module that does. To drop every table on purpose, write that revision by hand "
        "(schemadiff generate --empty -m MESSAGE)"
    )

"""Running rendered revision scripts against a recording `op`."""

from __future__ import annotations

from schemadiff.dialects.base import Dialect
from schemadiff.operations import Operations, using
from schemadiff.snapshot import Snapshot


def load_script(source: str) -> dict:
    namespace: dict = {"__name__": "revision_under_test"}
    exec(compile(source, "revision_under_test.py", "exec"), namespace)
    return namespace


def record(script: dict, function: str, dialect: Dialect, state: Snapshot):
    """(ops that script's `function` asks for, the schema state afterwards)."""
    recorded: list = []
    operations = Operations(dialect, state, recorded.append)
    with using(operations):
        script[function]()
    return recorded, operations.state

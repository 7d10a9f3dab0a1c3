"""Running revision scripts without a database: each op call only moves a Snapshot along.

This is how offline SQL knows the schema at the start of its range, and how `generate` and
`merge` build the head snapshot where no scratch database is at hand.
"""

from __future__ import annotations

import traceback
from contextlib import nullcontext
from types import ModuleType
from typing import Callable, ContextManager, Optional

from . import ops as o
from .alembic_shim import alembic_names, is_alembic, missing_part
from .dialects.base import Dialect
from .errors import SchemadiffError
from .operations import Operations, using
from .revisions import Revision
from .script_settings import import_setup
from .snapshot import Snapshot, Table


def load_module(revision: Revision) -> ModuleType:
    """The script as a module; compiled in memory, so that no __pycache__ lands in the versions folder.

    Scripts written for Alembic load as they are: see alembic_shim.py.
    """
    import_setup()
    module = ModuleType(f"schemadiff_revision_{revision.id}")
    module.__file__ = str(revision.path)
    try:
        source = revision.path.read_bytes()
        with alembic_names():
            exec(compile(source, str(revision.path), "exec"), module.__dict__)
    except ModuleNotFoundError as e:
        if is_alembic(e.name or ""):
            raise SchemadiffError(missing_part(revision.path, e.name)) from None
        raise SchemadiffError(f"{revision.path}: cannot load: {type(e).__name__}: {e}") from None
    except Exception as e:
        raise SchemadiffError(f"{revision.path}: cannot load: {type(e).__name__}: {e}") from None
    for function in ("upgrade", "downgrade"):
        if not callable(getattr(module, function, None)):
            raise SchemadiffError(f"{revision.path}: has no {function}() function")
    return module


def run_script(
    revision: Revision,
    direction: str,
    state: Snapshot,
    dialect: Dialect,
    handler: Callable[[o.Op], None] = lambda op: None,
    flush: Callable[[Optional[tuple[str, str]]], None] = lambda table_key=None: None,
    autocommit: Callable[[], ContextManager[None]] = nullcontext,
    adopt: Callable[[Table], None] = lambda table: None,
) -> Snapshot:
    """The schema after `revision`'s upgrade or downgrade from `state`; `handler` gets each op,
    and `flush` is called where ops it holds back must run (see Operations)."""
    operations = Operations(
        dialect, state, handler, flush=flush, autocommit=autocommit, adopt=adopt
    )
    with using(operations):  # module-level code may use op too (`NAME = op.f("...")`)
        module = load_module(revision)  # its errors name the script already
    try:
        with using(operations), alembic_names():
            getattr(module, direction)()
            operations.finish()
            flush(None)
    except SchemadiffError as e:
        raise type(e)(f"{revision.path}{_line(e, revision)}: {e}") from None  # MissingObject stays one
    except Exception as e:  # the script's own code, e.g. sa.inspect(op.get_bind()) offline
        raise SchemadiffError(f"{revision.path}{_line(e, revision)}: {type(e).__name__}: {e}") from e
    return operations.state


def _line(error: Exception, revision: Revision) -> str:
    """`, line N`: where in the script the error came from, when it did."""
    lines = [f.lineno for f in traceback.extract_tb(error.__traceback__) if f.filename == str(revision.path)]
    return f", line {lines[-1]}" if lines else ""


"""Running revision scripts without a database: each op call only moves a Snapshot along.

This is how offline SQL knows the schema at the start of its range, and how `generate` and
`merge` build the head snapshot where no scratch database is at hand.
"""

from __future__ import annotations

import traceback
from types import ModuleType
from typing import Callable, Optional, Sequence

from . import ops as o
from .dialects.base import Dialect
from .errors import SchemadiffError
from .operations import Operations, using
from .revisions import Revision, RevisionMap
from .snapshot import Snapshot


def load_module(revision: Revision) -> ModuleType:
    """The script as a module; compiled in memory, so that no __pycache__ lands in the versions folder."""
    module = ModuleType(f"schemadiff_revision_{revision.id}")
    module.__file__ = str(revision.path)
    try:
        source = revision.path.read_bytes()
        exec(compile(source, str(revision.path), "exec"), module.__dict__)
    except ModuleNotFoundError as e:
        if _is_alembic(e.name or ""):
            raise SchemadiffError(_alembic_import(revision)) from None
        raise SchemadiffError(f"{revision.path}: cannot load: {type(e).__name__}: {e}") from None
    except Exception as e:
        raise SchemadiffError(f"{revision.path}: cannot load: {type(e).__name__}: {e}") from None
    # With Alembic installed the import works, but its `op` only runs under Alembic's own context.
    if _is_alembic(getattr(getattr(module, "op", None), "__name__", "")):
        raise SchemadiffError(_alembic_import(revision))
    for function in ("upgrade", "downgrade"):
        if not callable(getattr(module, function, None)):
            raise SchemadiffError(f"{revision.path}: has no {function}() function")
    return module


def _is_alembic(module_name: str) -> bool:
    return module_name.partition(".")[0] == "alembic"


def _alembic_import(revision: Revision) -> str:
    return (
        f"{revision.path}: imports op from alembic, which schemadiff does not run: "
        "write `from schemadiff import op` instead (the op calls keep Alembic's names)"
    )


def run_script(
    revision: Revision,
    direction: str,
    state: Snapshot,
    dialect: Dialect,
    handler: Callable[[o.Op], None] = lambda op: None,
    flush: Callable[[Optional[tuple[str, str]]], None] = lambda table_key=None: None,
) -> Snapshot:
    """The schema after `revision`'s upgrade or downgrade from `state`; `handler` gets each op,
    and `flush` is called where ops it holds back must run (see Operations)."""
    operations = Operations(dialect, state, handler, flush=flush)
    module = load_module(revision)  # its errors name the script already
    try:
        with using(operations):
            getattr(module, direction)()
            flush(None)
    except SchemadiffError as e:
        raise type(e)(f"{revision.path}{_line_of(e, revision)}: {e}") from None
    return operations.state


def _line_of(error: Exception, revision: Revision) -> str:
    """`, line N` of the script's call that raised `error`; empty when it did not come from one."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename == str(revision.path)]
    return f", line {frames[-1].lineno}" if frames else ""


def replay(revisions: RevisionMap, upto: Sequence[str], dialect: Dialect) -> Snapshot:
    """The schema after the upgrades from base to `upto`, from the scripts' ops alone."""
    state = Snapshot(dialect=dialect.name)
    for revision in revisions.upgrade_path((), tuple(upto)) if upto else []:
        state = run_script(revision, "upgrade", state, dialect)
    return state

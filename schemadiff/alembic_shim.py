"""Revision scripts written for Alembic run unchanged: `from alembic import op`, `alembic.context`.

While schemadiff loads or runs a script, `alembic`, `alembic.op` and `alembic.context` in
sys.modules are schemadiff's own: `op` is schemadiff's op, `context` answers what a revision
script may ask of Alembic's (see script_context.py). Whatever sys.modules held under those names
before (the real Alembic, or nothing) is back afterwards. The real Alembic is never imported for
this; where it is installed, other parts of it (`alembic.ddl`, ...) still import from it.
"""

from __future__ import annotations

import importlib.util
import sys
from contextlib import contextmanager
from types import ModuleType
from typing import Any, Iterator

from . import op
from .operations import current

_PACKAGE = "alembic"

#: What `alembic.__version__` says in a script. Scripts test it to choose Alembic's behaviour
#: (`if Version(alembic.__version__) >= Version("1.7.0")`): schemadiff's op follows Alembic's
#: semantics as of this release, whichever Alembic (if any) is installed.
FOLLOWS_ALEMBIC = "1.16.0"


def is_alembic(module_name: str) -> bool:
    return module_name.partition(".")[0] == _PACKAGE


def missing_part(path: object, module_name: str) -> str:
    """The line for a script that imports a part of Alembic other than op and context."""
    return (
        f"{path}: imports {module_name}, a part of Alembic itself, which is not installed: "
        "schemadiff stands in for alembic.op and alembic.context only (install alembic for the rest)"
    )


class _Context(ModuleType):
    """`alembic.context` in a script: each name reads from the context of the script running now."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(current().get_context().environment, name)


def _package() -> ModuleType:
    package = ModuleType(
        _PACKAGE, "schemadiff's stand-in for Alembic while it runs a revision script"
    )
    # Alembic's other modules, where it is installed, import from its folder; its __init__ never runs.
    package.__path__ = _alembic_folders()
    package.__version__ = FOLLOWS_ALEMBIC
    package.op = op
    package.context = _Context(f"{_PACKAGE}.context")
    return package


def _alembic_folders() -> list[str]:
    """Where the real Alembic's modules are, without importing it; none where it is missing."""
    if _PACKAGE in sys.modules:  # imported already, or None: made unimportable on purpose
        spec = getattr(sys.modules[_PACKAGE], "__spec__", None)
    else:
        spec = importlib.util.find_spec(_PACKAGE)
    return list(spec.submodule_search_locations or []) if spec else []


@contextmanager
def alembic_names() -> Iterator[None]:
    """Inside the block, `alembic`, `alembic.op` and `alembic.context` are schemadiff's."""
    saved = {name: module for name, module in sys.modules.items() if is_alembic(name)}
    package = _package()
    sys.modules.update(
        {_PACKAGE: package, f"{_PACKAGE}.op": op, f"{_PACKAGE}.context": package.context}
    )
    try:
        yield
    finally:
        for name in [name for name in sys.modules if is_alembic(name)]:
            del sys.modules[name]
        sys.modules.update(saved)

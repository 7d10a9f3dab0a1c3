"""Helpers that load the fixture model sets."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa

from conftest import DIALECTS, FIXTURES


def fixture_names() -> list[str]:
    return sorted(p.stem for p in FIXTURES.glob("*.py"))


def load_fixture(name: str, path: Path = FIXTURES):
    """A fresh import of fixtures/<name>.py, so each test gets its own MetaData."""
    spec = importlib.util.spec_from_file_location(f"fixture_{name}", path / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fixture_metadata(name: str) -> sa.MetaData:
    return load_fixture(name).metadata


def fixture_dialects(name: str) -> tuple[str, ...]:
    return tuple(getattr(load_fixture(name), "DIALECTS", DIALECTS))

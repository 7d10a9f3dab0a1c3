"""Helpers that load the fixture model sets."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
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


def fixture_cases() -> list:
    """(dialect, fixture name) for every fixture set on each database it is meant for, as
    pytest params for `@pytest.mark.parametrize("db,fixture", ..., indirect=["db"])`."""
    return [
        pytest.param(dialect, name, id=f"{name}-{dialect}")
        for name in fixture_names()
        for dialect in DIALECTS
        if dialect in fixture_dialects(name)
    ]

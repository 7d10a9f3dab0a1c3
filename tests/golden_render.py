"""Renders the golden scripts: `python tests/golden_render.py [--write]`.

Without --write it prints every script to stdout (the hash-seed test compares two runs).
"""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy.dialects import mysql, postgresql, sqlite

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conftest import DIALECTS  # noqa: E402
from models import fixture_dialects, fixture_metadata  # noqa: E402
from schemadiff import Snapshot, snapshot_metadata  # noqa: E402
from schemadiff.compare import compare  # noqa: E402  (the package attribute turns into the submodule once it is imported)
from schemadiff.dialects import for_sa_dialect  # noqa: E402
from schemadiff.render import ScriptInfo, render_script  # noqa: E402

GOLDEN = HERE / "golden"
FIXTURES = ["tutorial_user", "tutorial_person", "tutorial_students", "tutorial_restaurants", "tutorial_account", "rich"]
SA_DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect(), "mysql": mysql.dialect()}


def golden_cases() -> list[tuple[str, str]]:
    return [(f, d) for f in FIXTURES for d in DIALECTS if d in fixture_dialects(f)]


def render_golden(fixture: str, dialect_name: str) -> str:
    dialect = for_sa_dialect(SA_DIALECTS[dialect_name])
    models = snapshot_metadata(fixture_metadata(fixture), dialect)
    info = ScriptInfo(f"create the {fixture} models", "0123456789ab", (), "2026-01-01 00:00:00 UTC")
    return render_script(compare(Snapshot(), models), info, dialect)


def golden_path(fixture: str, dialect_name: str) -> Path:
    return GOLDEN / f"{fixture}.{dialect_name}.py"


if __name__ == "__main__":
    for fixture, dialect_name in golden_cases():
        source = render_golden(fixture, dialect_name)
        if "--write" in sys.argv:
            golden_path(fixture, dialect_name).write_text(source)
        else:
            sys.stdout.write(f"# {fixture} {dialect_name}\n{source}")

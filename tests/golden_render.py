"""Renders the golden scripts and reviews: `python tests/golden_render.py [--write]`.

Without --write it prints every script and review to stdout (the hash-seed test compares two runs).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from sqlalchemy.dialects import mysql, postgresql, sqlite

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from conftest import DIALECTS  # noqa: E402
from conftest import FIXTURES as FIXTURES_DIR  # noqa: E402
from models import fixture_dialects, fixture_metadata  # noqa: E402
from schemadiff import Snapshot, snapshot_metadata  # noqa: E402
from schemadiff.compare import compare  # noqa: E402  (the package attribute turns into the submodule once it is imported)
from schemadiff.config import Config, load_config  # noqa: E402
from schemadiff.dialects import for_sa_dialect  # noqa: E402
from schemadiff.render import ScriptInfo, render_script  # noqa: E402
from schemadiff.review import render, review_range  # noqa: E402

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


# -- reviews: the rich fixture's revision from empty, and the example's two revisions -----------

REVIEW_FORMATS = {"markdown": "md", "json": "json", "sql": "sql"}
EXAMPLE_VERSIONS = FIXTURES_DIR / "example" / "migrations" / "versions"
#: case -> the range reviewed
REVIEW_RANGES = {"rich": "base:head", "example": "1c2d:9a8b"}


def review_cases() -> list[tuple[str, str]]:
    return [(case, d) for case in REVIEW_RANGES for d in DIALECTS]


def review_project(root: Path, dialect_name: str, scripts: dict[str, str]) -> Config:
    """A project in `root` with `scripts` as its revisions, for `dialect_name`, without a URL."""
    versions = root / "migrations" / "versions"
    versions.mkdir(parents=True)
    for name, source in scripts.items():
        (versions / name).write_text(source)
    (root / "pyproject.toml").write_text(f'[tool.schemadiff]\ndialect = "{dialect_name}"\n')
    return load_config(root)


def review_scripts(case: str, dialect_name: str) -> dict[str, str]:
    if case == "rich":  # the script that `generate` writes for the rich models on an empty database
        return {"0123456789ab_create_the_rich_models.py": render_golden("rich", dialect_name)}
    return {p.name: p.read_text() for p in EXAMPLE_VERSIONS.glob("*.py")}


def render_review(case: str, dialect_name: str) -> dict[str, str]:
    """fmt -> the review of the case's range in that format."""
    with tempfile.TemporaryDirectory() as root:
        config = review_project(Path(root), dialect_name, review_scripts(case, dialect_name))
        review = review_range(config, REVIEW_RANGES[case])
        return {fmt: render(review, fmt) + "\n" for fmt in REVIEW_FORMATS}


def review_golden_path(case: str, dialect_name: str, fmt: str) -> Path:
    return GOLDEN / "review" / f"{case}.{dialect_name}.{REVIEW_FORMATS[fmt]}"


if __name__ == "__main__":
    for fixture, dialect_name in golden_cases():
        source = render_golden(fixture, dialect_name)
        if "--write" in sys.argv:
            golden_path(fixture, dialect_name).write_text(source)
        else:
            sys.stdout.write(f"# {fixture} {dialect_name}\n{source}")
    for case, dialect_name in review_cases():
        for fmt, text in render_review(case, dialect_name).items():
            if "--write" in sys.argv:
                review_golden_path(case, dialect_name, fmt).parent.mkdir(exist_ok=True)
                review_golden_path(case, dialect_name, fmt).write_text(text)
            else:
                sys.stdout.write(f"# review {case} {dialect_name} {fmt}\n{text}")

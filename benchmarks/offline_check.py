"""Benchmark: `schemadiff check --offline` against the floor, a process that only imports the models.

Run it::

    python benchmarks/offline_check.py            # 100 and 1000 tables, 15 rounds

For each size it writes a project in a temporary folder: a models.py of N tables (Core tables of
6-12 columns of varied types, some server defaults, a primary key, an index, a unique and a check
constraint, a foreign key to an earlier table, a naming convention), a pyproject.toml for SQLite,
one revision made by `schemadiff generate`, and the head snapshot that generate writes. It checks
that the offline check is clean, then times, interleaved, after one untimed warm-up each, every
one a fresh process:

- the floor: `python -c "import models"`;
- `schemadiff check --offline` (the console script, as a pre-commit hook runs it).

It prints the median of each, and the ratio (the target: at most 1.2 at 100 tables).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TYPES = [
    'sa.Integer()',
    'sa.BigInteger()',
    'sa.String(50)',
    'sa.String(200)',
    'sa.Text()',
    'sa.Boolean()',
    'sa.DateTime()',
    'sa.Date()',
    'sa.Numeric(12, 2)',
    'sa.Float()',
]
DEFAULTS = {'sa.Integer()': '"0"', 'sa.Boolean()': 'sa.text("1")', 'sa.String(50)': '"new"'}

HEADER = '''import sqlalchemy as sa

metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})
'''


def models_source(tables: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    parts = [HEADER]
    for n in range(tables):
        lines = [f'\nt{n:04d} = sa.Table(\n    "t{n:04d}",\n    metadata,',
                 '    sa.Column("id", sa.Integer, primary_key=True),']
        for c in range(rng.randint(5, 11)):
            type_ = rng.choice(TYPES)
            default = f", server_default={DEFAULTS[type_]}" if type_ in DEFAULTS and rng.random() < 0.3 else ""
            lines.append(f'    sa.Column("c{c}", {type_}, nullable={rng.random() < 0.5}{default}),')
        if n:
            lines.append(f'    sa.Column("parent_id", sa.Integer, sa.ForeignKey("t{rng.randrange(n):04d}.id")),')
        lines += [
            '    sa.Column("code", sa.String(40), nullable=False, unique=True),',
            '    sa.Column("amount", sa.Integer, nullable=False),',
            '    sa.CheckConstraint("amount >= 0", name="amount_positive"),',
            '    sa.Index(None, "amount"),',
            ")",
        ]
        parts.append("\n".join(lines))
    return "\n".join(parts) + "\n"


def make_project(root: Path, tables: int) -> None:
    (root / "models.py").write_text(models_source(tables))
    (root / "pyproject.toml").write_text('[tool.schemadiff]\nurl = "sqlite:///bench.db"\nmetadata = "models:metadata"\n')
    for args in (["init"], ["generate", "-m", "initial"]):
        subprocess.run([*schemadiff_command(), *args], cwd=root, check=True, capture_output=True)
    assert (root / "migrations" / "schema.sqlite.json").exists(), "generate wrote no head snapshot"
    result = subprocess.run([*schemadiff_command(), "check", "--offline"], cwd=root, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"the offline check is not clean at {tables} tables:\n{result.stdout}{result.stderr}")


def schemadiff_command() -> list[str]:
    """The console script beside this Python, as pre-commit runs it; else `python -m schemadiff`."""
    script = Path(sys.executable).parent / "schemadiff"
    return [str(script)] if script.exists() else [sys.executable, "-m", "schemadiff"]


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(root: Path, rounds: int) -> tuple[float, float]:
    floor = [sys.executable, "-c", "import models"]
    check = [*schemadiff_command(), "check", "--offline"]
    timed(floor, root), timed(check, root)  # warm the file cache
    floors, checks = [], []
    for _ in range(rounds):
        floors.append(timed(floor, root))
        checks.append(timed(check, root))
    return statistics.median(floors), statistics.median(checks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"{'tables':>7} {'import models':>14} {'check --offline':>16} {'ratio':>6}")
    for tables in args.tables:
        root = Path(tempfile.mkdtemp(prefix=f"schemadiff_offline_{tables}_"))
        try:
            make_project(root, tables)
            floor, check = measure(root, args.rounds)
        finally:
            shutil.rmtree(root)
        print(f"{tables:>7} {floor:>13.3f}s {check:>15.3f}s {check / floor:>6.2f}")


if __name__ == "__main__":
    main()

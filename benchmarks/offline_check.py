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

It prints the median of each, wall-clock and CPU time (user + system, which a busy machine
disturbs less), and the ratios (the target: at most 1.2 at 100 tables).
"""

from __future__ import annotations

import argparse
import random
import resource
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


def timed(command: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system) of one run of `command` as a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(root: Path, rounds: int) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) of the floor and of the check, run in turns."""
    commands = {
        "floor": [sys.executable, "-c", "import models"],
        "check": [*schemadiff_command(), "check", "--offline"],
    }
    for command in commands.values():
        timed(command, root)  # warm the file cache
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(rounds):
        for name, command in commands.items():
            runs[name].append(timed(command, root))
    return {
        name: (statistics.median(w for w, _ in times), statistics.median(c for _, c in times))
        for name, times in runs.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    print(f"medians of {args.rounds} rounds; CPU = user + system time of the process, which other load disturbs less")
    print(f"{'tables':>7} {'':>5} {'import models':>14} {'check --offline':>16} {'ratio':>6}")
    for tables in args.tables:
        root = Path(tempfile.mkdtemp(prefix=f"schemadiff_offline_{tables}_"))
        try:
            make_project(root, tables)
            result = measure(root, args.rounds)
        finally:
            shutil.rmtree(root)
        for i, label in enumerate(("wall", "CPU")):
            floor, check = result["floor"][i], result["check"][i]
            print(f"{tables:>7} {label:>5} {floor:>13.3f}s {check:>15.3f}s {check / floor:>6.2f}")


if __name__ == "__main__":
    main()

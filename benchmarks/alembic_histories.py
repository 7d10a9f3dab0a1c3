"""Benchmark: real projects' Alembic histories, run unchanged through schemadiff and through Alembic.

Run it (it needs PyPI, and the servers below; nothing of it is in the default test run)::

    python benchmarks/alembic_histories.py                    # every project, every database
    python benchmarks/alembic_histories.py --project optuna --dialect sqlite

For each project below it makes a scratch venv (under --venvs) and installs the project at a pinned
version with this checkout of schemadiff (editable) and the drivers. Then, for each database the
project supports, a worker process in that venv, under a timeout:

1. creates two scratch databases (a SQLite file, or a database on the server);
2. writes a scratch project folder whose `migrations/versions` holds a symlink to each script in
   the installed package's versions folder (no script is copied or edited), a `pyproject.toml` with
   `version_table = "alembic_version"` (and `setup` where the project's env.py imports what its
   scripts use), and `bench_models.py`, which imports the project's model
   modules and exposes their MetaData;
3. runs `schemadiff upgrade head` on the first database, and `schemadiff check --format json`
   against the models if any revision applied; where the whole history applied, it then runs
   what a team runs after adopting: `schemadiff snapshot` (or, where the history cannot be
   replayed from an empty database, `snapshot --start-from` the database), `generate` against the
   models, `upgrade`, `check` again and `downgrade -1` (the generated script is removed after);
   then `schemadiff downgrade base` and, where that got to base, `upgrade head` again;
4. runs Alembic's own `upgrade head` of the same versions folder on the second database (a plain
   online env.py, one transaction per migration), then `alembic.autogenerate.compare_metadata`
   (compare_type and compare_server_default on) against the same models, and `schemadiff check` on
   that Alembic-built database too, which tells compare differences from history-run failures;
5. drops both databases.

A failure (install, timeout, a crash of the worker) is a row of the table, not the end of the run.

Databases: SQLite files in a temporary folder; PostgreSQL and MySQL/MariaDB at
``SCHEMADIFF_TEST_POSTGRESQL_URL`` / ``SCHEMADIFF_TEST_MYSQL_URL`` (defaults below), where each run
creates and drops its own databases ``sd_hist_<project>_<pid>_{sd,al}``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

REPO = Path(__file__).resolve().parent.parent
DEFAULT_URLS = {
    "postgresql": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "mysql": "mysql+pymysql://root@127.0.0.1:3306/test",
}
URL_VARIABLES = {
    "postgresql": "SCHEMADIFF_TEST_POSTGRESQL_URL",
    "mysql": "SCHEMADIFF_TEST_MYSQL_URL",
}
DIALECTS = ("sqlite", "postgresql", "mysql")


@dataclass(frozen=True)
class Project:
    name: str
    requirement: str
    #: dialect -> the versions folder, relative to site-packages
    versions: dict
    #: modules whose import fills the MetaData
    model_modules: tuple
    #: `module:attr` of the MetaData
    metadata: str
    #: `module:attr` of a MetaData that the project's own code creates before it runs the history
    created_before: Optional[str] = None
    #: `setup` in [tool.schemadiff]: a module the project's env.py imports, which scripts rely on
    setup: Optional[str] = None


PROJECTS = (
    Project(
        "optuna",
        "optuna==5.0.0",
        dict.fromkeys(DIALECTS, "optuna/storages/_rdb/alembic/versions"),
        ("optuna.storages._rdb.models",),
        "optuna.storages._rdb.models:BaseModel.metadata",
    ),
    Project(
        "mlflow",
        "mlflow==3.17.2",
        dict.fromkeys(DIALECTS, "mlflow/store/db_migrations/versions"),
        (
            "mlflow.store.tracking.dbmodels.models",
            "mlflow.store.model_registry.dbmodels.models",
            "mlflow.store.workspace.dbmodels.models",
        ),
        "mlflow.store.db.base_sql_model:Base.metadata",
        # mlflow.store.db.utils._initialize_tables: create_all of the initial models, then upgrade.
        "mlflow.store.tracking.dbmodels.initial_models:Base.metadata",
    ),
    Project(
        "prefect",
        "prefect==3.9.1",
        {
            "sqlite": "prefect/server/database/_migrations/versions/sqlite",
            "postgresql": "prefect/server/database/_migrations/versions/postgresql",
        },
        ("prefect.server.database.orm_models",),
        "prefect.server.database.orm_models:Base.metadata",
        # Its scripts call prefect.server.utilities.database.UUID() after `import prefect` alone.
        setup="prefect.server.utilities.database",
    ),
)

# -- the driver: venvs, workers, the table ------------------------------------------------------


def main(argv: Optional[list] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", action="append", choices=[p.name for p in PROJECTS])
    parser.add_argument("--dialect", action="append", choices=DIALECTS)
    parser.add_argument(
        "--venvs", default=str(Path(tempfile.gettempdir()) / "schemadiff-alembic-histories")
    )
    parser.add_argument(
        "--timeout", type=float, default=1200, help="seconds for one project on one database"
    )
    parser.add_argument(
        "--json", metavar="FILE", help="also write every row, with full lists, to FILE"
    )
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(worker(**json.loads(args.worker))), flush=True)
        return
    results: dict = {}
    for project in PROJECTS:
        if args.project and project.name not in args.project:
            continue
        dialects = [d for d in project.versions if not args.dialect or d in args.dialect]
        python, problem = ensure_venv(project, Path(args.venvs))
        rows = [
            run_worker(python, project, d, args.timeout) if python else {"error": problem}
            for d in dialects
        ]
        print_table(project, dialects, rows)
        results[project.requirement] = dict(zip(dialects, rows))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


def ensure_venv(project: Project, root: Path) -> tuple:
    """(the venv's python, None), or (None, why the install failed)."""
    venv = root / project.name
    python = venv / "bin" / "python"
    try:
        if not python.exists():
            subprocess.run(
                [sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True
            )
        command = [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            project.requirement,
            "psycopg[binary]",
            "pymysql",
            "-e",
            str(REPO),
        ]
        print(f"# installing {project.requirement} into {venv} ...", file=sys.stderr, flush=True)
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=1800)
    except subprocess.CalledProcessError as e:
        return None, f"install failed: {_last_line(e.stderr or e.stdout or '')}"
    except subprocess.TimeoutExpired:
        return None, "install timed out"
    return python, None


def run_worker(python: Path, project: Project, dialect: str, timeout: float) -> dict:
    spec = json.dumps({"project": project.name, "dialect": dialect, "timeout": timeout})
    print(f"# {project.name} on {dialect} ...", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(
            [str(python), str(Path(__file__).resolve()), "--worker", spec],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return {"error": f"worker crashed: {_last_line(done.stderr)}"}


def print_table(project: Project, dialects: list, rows: list) -> None:
    before = (
        f" (first, as the project does: create_all of `{project.created_before}`)"
        if project.created_before
        else ""
    )
    print(f"\n### {project.requirement}{before}\n")
    header = (
        "| database | schemadiff upgrade head | first failure | check vs models | "
        "snapshot, generate, upgrade, check, downgrade -1 | downgrade base, then upgrade head | "
        "Alembic upgrade head | Alembic compare | schemadiff check on Alembic's database | "
        "Alembic downgrade base |"
    )
    print(header)
    print("|" + "---|" * header.count(" | ") + "---|")
    for dialect, row in zip(dialects, rows):
        if "error" in row:
            print(f"| {dialect} | - | {row['error']} | - | - | - | - | - | - | - |")
            continue
        print(
            f"| {dialect} | {row['sd_applied']}/{row['total']} | {row['sd_failure'] or '-'} | "
            f"{_count(row['sd_check'])} | {_generated(row)} | {_round_trip(row)} | "
            f"{row['al_applied']}/{row['total']}"
            f"{' (' + row['al_failure'] + ')' if row['al_failure'] else ''} | "
            f"{_count(row['al_compare'])} | {_count(row['sd_check_al'])} | {_alembic_down(row)} |"
        )
    for dialect, row in zip(dialects, rows):
        for label, key in (
            ("schemadiff check", "sd_check"),
            ("schemadiff check after the generated revision", "gen_check"),
            ("Alembic compare", "al_compare"),
            ("schemadiff check on Alembic's database", "sd_check_al"),
        ):
            found = row.get(key)
            if isinstance(found, list) and found:
                print(f"\n{dialect}, {label}:")
                for line in found[:12]:
                    print(f"  - {line}")
                if len(found) > 12:
                    print(f"  - ... {len(found) - 12} more")


def _round_trip(row: dict) -> str:
    """E.g. `67/67 down, 67/67 up`, with the failure that stopped either."""
    if "sd_reverted" not in row:
        return "-"
    text = f"{row['sd_reverted']}/{row['total']} down"
    text += f" ({row['sd_down_failure']})" if row["sd_down_failure"] else ""
    if row["sd_again"] is not None:
        text += f", {row['sd_again']}/{row['total']} up"
        text += f" ({row['sd_again_failure']})" if row.get("sd_again_failure") else ""
    return text


def _generated(row: dict) -> str:
    """E.g. `29 ops; applied; check 0; reverted`, or where it stopped (and whether `snapshot` ran)."""
    if "gen_ops" not in row:
        return "-"
    text = ""
    if row["snapshot_failure"]:
        again = row["snapshot_start_from_failure"]
        text = f"snapshot from base failed ({_short(row['snapshot_failure'], 120)}); "
        text += f"--start-from the database: {'failed (' + again + ')' if again else 'written'}; "
    if isinstance(row["gen_ops"], str):
        return text + row["gen_ops"]
    text += f"{row['gen_ops']} ops"
    text += "; " if row["gen_snapshot"] else " (head snapshot not updated); "
    if row["gen_up_failure"]:
        return text + f"upgrade failed ({row['gen_up_failure']})"
    text += f"applied; check {_count(row['gen_check'])}; "
    failure = row["gen_down_failure"]
    return text + (f"downgrade -1 failed ({failure})" if failure else "reverted")


def _alembic_down(row: dict) -> str:
    if "al_reverted" not in row:
        return "-"
    failure = row["al_down_failure"]
    return f"{row['al_reverted']}/{row['total']}" + (f" ({failure})" if failure else "")


def _count(found) -> str:
    if found is None:
        return "-"
    if isinstance(found, str):
        return found
    return str(len(found))


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return _short(lines[-1]) if lines else "(no output)"


def _short(text: str, limit: int = 300) -> str:
    """One line; a long one keeps its start (what failed) and its end (why), the middle cut."""
    text = " ".join(text.split()).replace("|", "/")
    return text if len(text) <= limit else text[: limit // 3] + " ... " + text[-(2 * limit // 3) :]


# -- the worker: runs inside the project's venv ------------------------------------------------


def worker(project: str, dialect: str, timeout: float) -> dict:
    import site

    spec = next(p for p in PROJECTS if p.name == project)
    packages = Path(site.getsitepackages()[0])
    versions = packages / spec.versions[dialect]
    with tempfile.TemporaryDirectory(prefix=f"sd-hist-{project}-") as tmp:
        folder = Path(tmp)
        os.environ.setdefault("PREFECT_HOME", str(folder / "prefect-home"))
        with (
            scratch_database(dialect, folder, f"sd_hist_{project}_{os.getpid()}_sd") as sd_url,
            scratch_database(dialect, folder, f"sd_hist_{project}_{os.getpid()}_al") as al_url,
        ):
            write_project(folder, spec, versions, sd_url)
            if spec.created_before:
                for url in (sd_url, al_url):
                    create_all(spec.created_before, url)
            total = len(revision_ids(folder))
            result = {"total": total}
            result.update(run_schemadiff(folder, sd_url, total, timeout))
            result.update(run_alembic(folder, versions, al_url, spec))
            result["sd_check_al"] = (
                schemadiff_check(folder, al_url, timeout) if result["al_applied"] else None
            )
            if result["al_applied"] == total:
                result.update(alembic_downgrade(folder, versions, al_url, total))
    return result


def write_project(folder: Path, spec: Project, versions: Path, url: str) -> None:
    # A symlink to each script (the package's own files, unedited), so that `generate` writes
    # its script into the scratch folder and not into the venv's site-packages.
    (folder / "migrations" / "versions").mkdir(parents=True)
    for entry in versions.iterdir():
        if entry.name != "__pycache__":
            (folder / "migrations" / "versions" / entry.name).symlink_to(entry)
    module, _, attr = spec.metadata.partition(":")
    imports = "".join(f"import {m}\n" for m in spec.model_modules)
    (folder / "bench_models.py").write_text(
        f"{imports}from {module} import {attr.split('.')[0]} as _root\n\n"
        f"metadata = _root{''.join('.' + a for a in attr.split('.')[1:])}\n"
    )
    (folder / "pyproject.toml").write_text(textwrap.dedent(f"""\
            [tool.schemadiff]
            url = {json.dumps(url)}
            metadata = "bench_models:metadata"
            dir = "migrations"
            version_table = "alembic_version"
            """) + (f"setup = {json.dumps(spec.setup)}\n" if spec.setup else ""))


def create_all(spec: str, url: str) -> None:
    import importlib

    import sqlalchemy as sa

    module, _, attr = spec.partition(":")
    metadata = importlib.import_module(module)
    for name in attr.split("."):
        metadata = getattr(metadata, name)
    engine = sa.create_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def revision_ids(folder: Path) -> list:
    from schemadiff.revisions import load_revisions

    return [r.id for r in load_revisions(folder / "migrations" / "versions")]


def _cli(folder: Path, args: list, timeout: float) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "schemadiff", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_schemadiff(folder: Path, url: str, total: int, timeout: float) -> dict:
    failure = _failure(folder, _cli(folder, ["upgrade", "head"], timeout))
    applied = applied_count(folder, url)
    result = {
        "sd_applied": applied,
        "sd_failure": failure,
        "sd_check": schemadiff_check(folder, url, timeout) if applied else None,
    }
    if applied == total:
        result.update(head_snapshot(folder, url, timeout))
        result.update(generate_and_apply(folder, url, timeout))
        if not result.get("gen_down_failure"):
            result.update(round_trip(folder, url, total, timeout))
    return result


def head_snapshot(folder: Path, url: str, timeout: float) -> dict:
    """`schemadiff snapshot`, as a team runs it once after adopting: the whole history replayed
    on a scratch database (online: scripts may read and write rows). Where that cannot be (the
    history begins on tables made outside it), `snapshot --start-from` the database at head."""
    import sqlalchemy as sa

    dialect = sa.engine.make_url(url).get_backend_name()
    server = [] if dialect == "sqlite" else ["--dev-url", _server_url(dialect)]
    failure = _failure(folder, _cli(folder, ["snapshot", *server], timeout))
    if failure is None:
        return {"snapshot_failure": None}
    again = _failure(folder, _cli(folder, ["snapshot", "--start-from", url], timeout))
    return {"snapshot_failure": failure, "snapshot_start_from_failure": again}


def generate_and_apply(folder: Path, url: str, timeout: float) -> dict:
    """`generate` against the models on the database at head, then `upgrade` (check again) and
    `downgrade -1`. The generated script and head snapshot are removed afterwards, so that the
    round trip runs the project's own history."""
    versions = folder / "migrations" / "versions"
    before = set(versions.iterdir())
    done = _cli(folder, ["generate", "-m", "models after the history"], timeout)
    written = sorted(set(versions.iterdir()) - before)
    if done.returncode != 0 or not written:
        failure = _failure(folder, done)
        return {"gen_ops": failure or "no changes"}
    ops = sum(1 for line in done.stdout.splitlines() if line.startswith("  "))
    result = {"gen_ops": ops, "gen_up_failure": None, "gen_check": None, "gen_down_failure": None}
    # generate replays the new script over the head snapshot, offline; a note says if it could not.
    result["gen_snapshot"] = _last_line(done.stdout).startswith("Wrote ")
    result["gen_up_failure"] = _failure(folder, _cli(folder, ["upgrade", "head"], timeout))
    if result["gen_up_failure"] is None:
        result["gen_check"] = schemadiff_check(folder, url, timeout)
        result["gen_down_failure"] = _failure(folder, _cli(folder, ["downgrade", "-1"], timeout))
    if result["gen_down_failure"] is None:  # else the database stays at the generated revision
        for path in written + list((folder / "migrations").glob("schema.*.json")):
            path.unlink()
    return result


def round_trip(folder: Path, url: str, total: int, timeout: float) -> dict:
    """`downgrade base`, then (where it got there) `upgrade head` again: how far each went."""
    down_failure = _failure(folder, _cli(folder, ["downgrade", "base"], timeout))
    left = applied_count(folder, url)
    result = {"sd_reverted": total - left, "sd_down_failure": down_failure, "sd_again": None}
    if left == 0:
        again_failure = _failure(folder, _cli(folder, ["upgrade", "head"], timeout))
        result.update(sd_again=applied_count(folder, url), sd_again_failure=again_failure)
    return result


def _failure(folder: Path, done: subprocess.CompletedProcess) -> Optional[str]:
    """The error line of a schemadiff run, None when it succeeded."""
    errors = [line for line in done.stderr.splitlines() if line.startswith("schemadiff: error:")]
    # Paths read as in the package: `migrations/versions` is the symlink to its versions folder.
    if errors:
        return _short(errors[0][len("schemadiff: error: ") :].replace(f"{folder}/", ""))
    return _last_line(done.stderr) if done.returncode != 0 else None


def applied_count(folder: Path, url: str) -> int:
    """How many revisions lie on the path from base to what the version table holds."""
    import sqlalchemy as sa

    from schemadiff.revisions import load_revisions

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return 0
            current = tuple(
                r for (r,) in conn.execute(sa.text("SELECT version_num FROM alembic_version"))
            )
    finally:
        engine.dispose()
    revisions = load_revisions(folder / "migrations" / "versions")
    return len(revisions.upgrade_path((), current)) if current else 0


def schemadiff_check(folder: Path, url: str, timeout: float):
    """The summaries of `check`'s differences, or the error line as a string."""
    done = _cli(folder, ["--url", url, "check", "--format", "json"], timeout)
    if done.returncode not in (0, 1):
        return "error: " + _last_line(done.stderr)
    return [change["summary"] for change in json.loads(done.stdout)["changes"]]


ENV_PY = """\
from alembic import context

context.configure(connection=context.config.attributes["connection"], transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
"""


def run_alembic(folder: Path, versions: Path, url: str, spec: Project) -> dict:
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    config = alembic_config(folder, versions)
    engine = sa.create_engine(url)
    try:
        failure = alembic_command(engine, config, "upgrade", "head")
        with engine.connect() as conn:
            applied = alembic_applied(conn, config)
            compared = None
            if applied:
                sys.path.insert(0, str(folder))
                import bench_models

                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "compare_server_default": True}
                )
                compared = [
                    _short(repr(d), 160) for d in compare_metadata(context, bench_models.metadata)
                ]
    finally:
        engine.dispose()
    return {"al_applied": applied, "al_failure": failure, "al_compare": compared}


def alembic_downgrade(folder: Path, versions: Path, url: str, total: int) -> dict:
    """Alembic's own `downgrade base` of the database it upgraded: how far it went."""
    import sqlalchemy as sa

    config = alembic_config(folder, versions)
    engine = sa.create_engine(url)
    try:
        failure = alembic_command(engine, config, "downgrade", "base")
        with engine.connect() as conn:
            return {
                "al_reverted": total - alembic_applied(conn, config),
                "al_down_failure": failure,
            }
    finally:
        engine.dispose()


def alembic_config(folder: Path, versions: Path):
    from alembic.config import Config

    env = folder / "alembic_env"
    if not env.exists():
        env.mkdir()
        (env / "env.py").write_text(ENV_PY)
    config = Config()
    config.set_main_option("script_location", str(env))
    config.set_main_option("version_locations", str(versions))
    return config


def alembic_command(engine, config, name: str, target: str) -> Optional[str]:
    """Runs Alembic's upgrade or downgrade; its failure as one line, None when it went through."""
    from alembic import command

    with engine.connect() as conn:
        config.attributes["connection"] = conn
        try:
            getattr(command, name)(config, target)
            conn.commit()
        except Exception as e:  # a failure is a figure
            conn.rollback()
            return _short(f"{type(e).__name__}: {e}".splitlines()[0])
    return None


def alembic_applied(conn, config) -> int:
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    current = MigrationContext.configure(conn).get_current_heads()
    script = ScriptDirectory.from_config(config)
    return len(list(script.iterate_revisions(current, "base"))) if current else 0


def _server_url(dialect: str) -> str:
    return os.environ.get(URL_VARIABLES[dialect], DEFAULT_URLS[dialect])


class scratch_database:
    """A database of its own for one run: a SQLite file, or CREATE/DROP DATABASE on the server."""

    def __init__(self, dialect: str, folder: Path, name: str):
        self.dialect, self.folder, self.name = dialect, folder, name

    def __enter__(self) -> str:
        import sqlalchemy as sa

        if self.dialect == "sqlite":
            return f"sqlite:///{self.folder / (self.name + '.db')}"
        server = sa.engine.make_url(_server_url(self.dialect))
        self.engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        charset = " CHARACTER SET utf8mb4" if self.dialect == "mysql" else ""
        with self.engine.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {self.name}"))
            conn.execute(sa.text(f"CREATE DATABASE {self.name}{charset}"))
        return server.set(database=self.name).render_as_string(hide_password=False)

    def __exit__(self, *exc) -> None:
        import sqlalchemy as sa

        if self.dialect == "sqlite":
            return
        with self.engine.connect() as conn:
            if self.dialect == "postgresql":
                conn.execute(
                    sa.text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"
                    ),
                    {"name": self.name},
                )
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {self.name}"))
        self.engine.dispose()


if __name__ == "__main__":
    main()

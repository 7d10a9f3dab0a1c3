"""The pytest plugin: fixtures and ready-made tests for a project's own test suite.

Installed with schemadiff (entry point `schemadiff` in the `pytest11` group). The fixtures are
there for any test that asks for them; the ready-made tests are collected only once a project
turns them on in its pytest configuration:

    [tool.pytest.ini_options]
    schemadiff_tests = true

The project is the one whose `[tool.schemadiff]` sits in the pyproject.toml of pytest's rootdir.
Each test that needs a database gets an empty scratch one, made for it and dropped after it: a
temporary SQLite file for a sqlite project; for PostgreSQL and MySQL a database created on
`dev_url` (or SCHEMADIFF_DEV_URL), or in a container where a Docker engine answers. Without
either, those tests skip and say why; under CI=true they fail instead.

Only pytest is imported here at start-up: every pytest run of every project that has schemadiff
installed loads this module, so the rest waits until a fixture or a ready-made test runs.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from contextlib import ExitStack, contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import pytest

if TYPE_CHECKING:
    import sqlalchemy as sa

    from .config import Config
    from .ops import Op
    from .snapshot import Snapshot

ENABLE = "schemadiff_tests"
_CONFIG = pytest.StashKey["Config"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        ENABLE,
        "Collect schemadiff's ready-made migration tests (single head, upgrade, models match, stairway)",
        type="bool",
        default=False,
    )


# -- failing readably ----------------------------------------------------------------------------


def _fail(message: str) -> None:
    """Fails the current test with `message` only: no traceback, which would say less."""
    pytest.fail(message, pytrace=False)


def _readable(method: Callable) -> Callable:
    """A schemadiff error inside `method` fails the test with its one line."""

    @wraps(method)
    def wrapper(*args, **kwargs):
        from .errors import SchemadiffError

        try:
            return method(*args, **kwargs)
        except SchemadiffError as e:
            _fail(str(e))

    return wrapper


def _unavailable(reason: str) -> None:
    """No database to test on: a skip, but a failure in CI, where a missing server is a mistake."""
    if os.environ.get("CI") == "true":
        _fail(f"{reason} (a failure, not a skip, because CI=true)")
    pytest.skip(reason)


# -- the project and its scratch databases -------------------------------------------------------


@_readable
def project_config(config: pytest.Config) -> "Config":
    """The `[tool.schemadiff]` settings of the project at pytest's rootdir, read once per run."""
    if _CONFIG not in config.stash:
        from .config import load_config

        config.stash[_CONFIG] = load_config(config.rootpath)
    return config.stash[_CONFIG]


@contextmanager
def scratch_url(config: "Config") -> Iterator[str]:
    """The URL of an empty database of the project's kind that exists for the `with` block only."""
    from .dialects import dialect_name
    from .errors import SchemadiffError
    from .head_snapshot import configured_server
    from .scratch import scratch_database

    server = _readable(configured_server)(config)
    with ExitStack() as stack:
        if dialect_name(server) == "sqlite":
            # A file, not scratch_database's in-memory SQLite: the runner and the test's own
            # engine open connections of their own, and each would see another empty database.
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="schemadiff-")))
            yield f"sqlite:///{folder / 'scratch.db'}"
            return
        try:
            url = stack.enter_context(scratch_database(server, config.dev_url))
        except SchemadiffError as e:
            if config.dev_url:  # a server was named and failed: that is for the user to fix
                _fail(str(e))
            _unavailable(
                f"no {server} server for a scratch database: set dev_url under [tool.schemadiff] "
                "or SCHEMADIFF_DEV_URL, or start Docker"
            )
        yield url


class MigrationRunner:
    """Moves one scratch database through the project's history, for tests.

    A failed migration or a schemadiff error fails the test with schemadiff's one-line message.
    """

    def __init__(self, config: "Config", url: str):
        self.config = dataclasses.replace(config, url=url)
        self.url = url

    @_readable
    def upgrade(self, target: str = "head") -> None:
        from .runtime import migrate

        migrate(self.config, "upgrade", target, print)

    @_readable
    def downgrade(self, target: str) -> None:
        from .runtime import migrate

        migrate(self.config, "downgrade", target, print)

    @_readable
    def current(self) -> tuple[str, ...]:
        """The revisions the database is at; () at base."""
        from .runtime import current_versions

        return current_versions(self.config)

    @_readable
    def schema(self) -> "Snapshot":
        """The database's schema as schemadiff reflects it, without the version table."""
        from .api import Scope, connect
        from .reflect import reflect

        with connect(self.url) as conn:
            snap = reflect(conn, self.config.schemas)
        version_table = (self.config.version_table_schema, self.config.version_table)
        kept = tuple(t for t in snap.tables if (t.schema, t.name) != version_table)
        return Scope(self.config.schemas, self.config.exclude_tables).filter(
            dataclasses.replace(snap, tables=kept)
        )

    @_readable
    def changes(self) -> list["Op"]:
        """What brings the database in line with the project's models: [] when they match."""
        from .api import Scope, connect, diff

        with connect(self.url) as conn:
            return diff(conn, _models(self.config), Scope.from_config(self.config))

    def check(self) -> None:
        """Fails the test, listing the differences, unless the database matches the models."""
        from .report import as_text

        changes = self.changes()
        if changes:
            _fail(f"the database differs from the models:\n{as_text(changes)}")


@_readable
def _models(config: "Config") -> "sa.MetaData":
    from .config import load_metadata

    return load_metadata(config.require_metadata(), config.root)


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def schemadiff_config(pytestconfig: pytest.Config) -> "Config":
    """The project's schemadiff settings (`[tool.schemadiff]` in the rootdir's pyproject.toml)."""
    return project_config(pytestconfig)


@pytest.fixture
def schemadiff_url(schemadiff_config: "Config") -> Iterator[str]:
    """The URL of an empty scratch database, made for this test and dropped after it."""
    with scratch_url(schemadiff_config) as url:
        yield url


@pytest.fixture
def schemadiff_engine(schemadiff_url: str) -> Iterator["sa.Engine"]:
    """An SQLAlchemy engine on the scratch database; it keeps no connection between uses."""
    import sqlalchemy as sa

    engine = sa.create_engine(schemadiff_url, poolclass=sa.pool.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def schemadiff_runner(schemadiff_config: "Config", schemadiff_url: str) -> MigrationRunner:
    """Runs the project's revisions on the scratch database: upgrade, downgrade, current, check."""
    return MigrationRunner(schemadiff_config, schemadiff_url)


# -- the ready-made tests ------------------------------------------------------------------------


def single_head(config: "Config") -> None:
    """The revision graph has one head: no two branches wait for a merge."""
    from .head_snapshot import revision_map

    heads = [r.id for r in _readable(revision_map)(config).heads]
    if len(heads) > 1:
        _fail(
            f"the revision graph has {len(heads)} heads ({', '.join(heads)}): merge them: schemadiff merge"
        )


def upgrade(runner: MigrationRunner) -> None:
    """Every revision applies, from base to head, on an empty database."""
    from .head_snapshot import revision_map

    runner.upgrade("heads")
    heads = tuple(sorted(r.id for r in _readable(revision_map)(runner.config).heads))
    current = runner.current()
    if current != heads:
        _fail(f"after upgrade heads the database is at {current or 'base'}, not at {heads}")


def models_match_offline(config: "Config") -> None:
    """The models match the committed head snapshot (schemadiff check --offline)."""
    from .head_snapshot import configured_server, offline_changes, snapshot_path
    from .report import as_text

    changes = _readable(offline_changes)(config, _models(config))
    if changes:
        path = snapshot_path(config, configured_server(config))
        _fail(
            f"the models differ from {config.dir}/{path.name}: run schemadiff generate\n{as_text(changes)}"
        )


def models_match_online(runner: MigrationRunner) -> None:
    """The schema that upgrading to head builds matches the models (schemadiff check)."""
    from .report import as_text

    runner.upgrade("heads")
    changes = runner.changes()
    if changes:
        _fail(
            f"the models differ from the schema the revisions build: run schemadiff generate\n{as_text(changes)}"
        )


def stairway(runner: MigrationRunner) -> None:
    """For each revision in order: upgrade to it, downgrade one step, find the schema as it was
    before the upgrade, and upgrade again."""
    from .compare import compare
    from .head_snapshot import revision_map
    from .report import as_text

    for revision in _readable(revision_map)(runner.config):
        where = f"revision {revision.id} ({revision.message})"
        before = runner.schema()
        with _context(f"stairway, {where}, first upgrade"):
            runner.upgrade(revision.id)
        with _context(f"stairway, {where}, downgrade"):
            runner.downgrade(revision.down_revisions[0] if revision.down_revisions else "base")
        left_over = compare(before, runner.schema())
        if left_over:
            _fail(
                f"stairway: the downgrade of {where} does not undo its upgrade; "
                f"after it, the schema still differs from before the upgrade:\n{as_text(left_over)}"
            )
        with _context(f"stairway, {where}, upgrade again after the downgrade"):
            runner.upgrade(revision.id)


@contextmanager
def _context(step: str) -> Iterator[None]:
    try:
        yield
    except pytest.fail.Exception as e:
        _fail(f"{step}: {e.msg}")


#: name -> (what it checks, whether it needs a scratch database)
READY_MADE = {
    "test_single_head": (single_head, False),
    "test_upgrade": (upgrade, True),
    "test_models_match_offline": (models_match_offline, False),
    "test_models_match_online": (models_match_online, True),
    "test_stairway": (stairway, True),
}


class ReadyMadeTest(pytest.Item):
    def __init__(self, *, check: Callable, needs_database: bool, **kwargs):
        super().__init__(**kwargs)
        self.check = check
        self.needs_database = needs_database

    def runtest(self) -> None:
        config = project_config(self.config)
        if not self.needs_database:
            self.check(config)
            return
        with scratch_url(config) as url:
            self.check(MigrationRunner(config, url))

    def reportinfo(self):
        return self.path, None, self.nodeid


class ReadyMadeTests(pytest.Collector):
    """The ready-made tests, under the node id `schemadiff` (`-k schemadiff` selects them)."""

    def collect(self):
        return [
            ReadyMadeTest.from_parent(self, name=name, check=check, needs_database=needs_database)
            for name, (check, needs_database) in READY_MADE.items()
        ]


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """Adds the ready-made tests to what the session collects, when the project turns them on."""
    report = yield
    if isinstance(collector, pytest.Session) and report.passed and _wanted(collector.config):
        path = collector.config.rootpath
        report.result.append(
            ReadyMadeTests.from_parent(collector, name="schemadiff", nodeid="schemadiff", path=path)
        )
    return report


def _wanted(config: pytest.Config) -> bool:
    """Turned on, in a run of the whole suite: no paths on the command line, or the rootdir.

    A run of chosen test files does not pay for the migration tests on top.
    """
    if not config.getini(ENABLE):
        return False
    if config.args_source != pytest.Config.ArgsSource.ARGS:
        return True
    here = config.invocation_params.dir
    return any((here / arg.split("::")[0]).resolve() == config.rootpath for arg in config.args)

"""Reading an Alembic project's settings, and `init --from-alembic` writing [tool.schemadiff] from them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from conftest import FIXTURES
from schemadiff.adopt import adopt_alembic
from schemadiff.alembic_config import read_alembic_project, read_env
from schemadiff.config import load_config
from schemadiff.errors import SchemadiffError
from test_cli import assert_one_line_error, run

ALEMBIC_PROJECT = FIXTURES / "alembic_project"


def ini(folder: Path, body: str, name: str = "alembic.ini") -> Path:
    path = folder / name
    path.write_text("[alembic]\n" + textwrap.dedent(body))
    return path


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    return tmp_path


def test_the_fixture_project_is_read_as_alembic_reads_it():
    project = read_alembic_project(ALEMBIC_PROJECT)
    assert project.root == ALEMBIC_PROJECT
    assert project.script_location == ALEMBIC_PROJECT / "migrations"
    assert project.version_locations == ()
    # %% is an ini escape and %(here)s the ini's folder.
    assert project.file_template == "%(year)d%(month).2d%(day).2d_%(rev)s_%(slug)s"
    assert project.url == f"sqlite:///{ALEMBIC_PROJECT.as_posix()}/app.db"
    assert project.prepend_sys_path == (ALEMBIC_PROJECT,)
    assert project.metadata == "adopt_app.models:Base"
    assert (project.version_table, project.version_table_schema) == ("alembic_version", None)
    assert project.sources == ("alembic.ini [alembic]", "migrations/env.py")
    assert project.notes == ()


@pytest.mark.parametrize(
    "separator_lines, value, expected",
    [
        ("path_separator = os", f"a{os.pathsep}b/c", ["a", "b/c"]),
        ("path_separator = space", "a  b/c", ["a", "b/c"]),
        ("path_separator = ;", "a; b/c", ["a", "b/c"]),
        ("path_separator = :", "a:b/c", ["a", "b/c"]),
        ("path_separator = newline", "\n    a\n    b/c", ["a", "b/c"]),
        ("version_path_separator = ;", "a;b/c", ["a", "b/c"]),
        ("", "a, b/c d", ["a", "b/c", "d"]),  # before path_separator: spaces and commas
    ],
)
def test_several_version_locations_split_as_alembic_splits_them(
    folder, separator_lines, value, expected
):
    ini(folder, f"script_location = migrations\n{separator_lines}\nversion_locations = {value}\n")
    project = read_alembic_project(folder)
    assert project.version_locations == tuple(folder / p for p in expected)


def test_prepend_sys_path_splits_on_colons_too_without_a_separator(folder):
    ini(folder, "script_location = migrations\nprepend_sys_path = . src:lib\n")
    assert read_alembic_project(folder).prepend_sys_path == (folder, folder / "src", folder / "lib")


def test_an_unknown_separator_is_one_clear_error(folder):
    ini(folder, "script_location = migrations\npath_separator = comma\nversion_locations = a,b\n")
    with pytest.raises(
        SchemadiffError, match="path_separator = 'comma': expected one of space, newline, os"
    ):
        read_alembic_project(folder)


def test_interpolation_uses_other_keys_and_the_default_section(folder):
    (folder / "alembic.ini").write_text(
        "[DEFAULT]\nbase = %(here)s/db\n"
        "[alembic]\nscript_location = migrations\nname = app\n"
        "sqlalchemy.url = sqlite:///%(base)s/%(name)s.db\n"
    )
    assert read_alembic_project(folder).url == f"sqlite:///{folder.as_posix()}/db/app.db"


def test_a_missing_interpolation_key_is_one_clear_error(folder):
    ini(folder, "script_location = %(nowhere)s/migrations\n")
    with pytest.raises(SchemadiffError, match=r"\[alembic\] script_location: .*nowhere"):
        read_alembic_project(folder)


def test_tool_alembic_in_pyproject_alone(folder):
    (folder / "pyproject.toml").write_text(
        '[tool.alembic]\nscript_location = "%(here)s/migrations"\n'
        'version_locations = ["%(here)s/migrations/versions", "%(here)s/other"]\n'
        'prepend_sys_path = ["src"]\nfile_template = "%%(rev)s"\ntruncate_slug_length = 20\n'
    )
    project = read_alembic_project(folder)
    assert project.sources == ("pyproject.toml [tool.alembic]",)
    assert project.script_location == folder / "migrations"
    assert project.version_locations == (folder / "migrations" / "versions", folder / "other")
    assert project.prepend_sys_path == (folder / "src",)
    assert (project.file_template, project.truncate_slug_length) == ("%(rev)s", 20)


def test_a_key_in_alembic_ini_wins_over_tool_alembic(folder):
    (folder / "pyproject.toml").write_text(
        '[tool.alembic]\nscript_location = "elsewhere"\ntruncate_slug_length = 20\n'
    )
    ini(folder, "script_location = migrations\n")
    project = read_alembic_project(folder)
    assert project.script_location == folder / "migrations"
    assert project.truncate_slug_length == 20
    assert project.sources == ("alembic.ini [alembic]", "pyproject.toml [tool.alembic]")


def test_an_ini_for_logging_only_beside_tool_alembic(folder):
    (folder / "alembic.ini").write_text("[loggers]\nkeys = root\n")
    with pytest.raises(SchemadiffError, match=r"alembic.ini: no \[alembic\] section"):
        read_alembic_project(folder)
    (folder / "pyproject.toml").write_text('[tool.alembic]\nscript_location = "migrations"\n')
    project = read_alembic_project(folder)
    assert (project.sources, project.script_location) == (
        ("pyproject.toml [tool.alembic]",),
        folder / "migrations",
    )


def test_an_ini_given_by_name(folder):
    (folder / "deploy").mkdir()
    path = ini(folder / "deploy", "script_location = %(here)s/../migrations\n", name="prod.ini")
    project = read_alembic_project(path)
    assert (project.root, project.script_location) == (folder / "deploy", folder / "migrations")


def test_package_style_script_location_is_found_without_importing(folder):
    package = folder / "src" / "myapp"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('imported')\n")
    ini(folder, "script_location = myapp:migrations\nprepend_sys_path = src\npath_separator = os\n")
    assert read_alembic_project(folder).script_location == package / "migrations"


def test_package_style_script_location_that_is_nowhere(folder):
    ini(folder, "script_location = nosuchpackage_xyz:migrations\n")
    with pytest.raises(SchemadiffError, match="package 'nosuchpackage_xyz' is not found"):
        read_alembic_project(folder)


def test_no_alembic_settings_at_all(folder):
    (folder / "pyproject.toml").write_text("[tool.black]\nline-length = 100\n")
    with pytest.raises(SchemadiffError, match="no alembic.ini and no \\[tool.alembic\\]"):
        read_alembic_project(folder)


ENV_HEAD = "from alembic import context\n"


@pytest.mark.parametrize(
    "source, expected",
    [
        ("from myapp.models import Base\ntarget_metadata = Base.metadata\n", "myapp.models:Base"),
        (
            "from myapp.models import Model as B\ntarget_metadata = B.metadata\n",
            "myapp.models:Model",
        ),
        ("from myapp import models\ntarget_metadata = models.Base.metadata\n", "myapp:models.Base"),
        (
            "import myapp.db.models\ntarget_metadata = myapp.db.models.Base.metadata\n",
            "myapp.db.models:Base",
        ),
        ("import myapp.models as m\ntarget_metadata = m.Base.metadata\n", "myapp.models:Base"),
        ("from myapp.db import metadata\ntarget_metadata = metadata\n", "myapp.db:metadata"),
        ("from myapp import db\ntarget_metadata = db.metadata\n", "myapp:db"),
        ("import app.db as db\ntarget_metadata: sa.MetaData = db.Model.metadata\n", "app.db:Model"),
        ("target_metadata = None\n", None),
        ("from .models import Base\ntarget_metadata = Base.metadata\n", None),
        ("class Base:\n    metadata = None\ntarget_metadata = Base.metadata\n", None),
        ("from a import A\nfrom b import B\ntarget_metadata = [A.metadata, B.metadata]\n", None),
    ],
)
def test_target_metadata_read_plainly_or_not_at_all(tmp_path, source, expected):
    (tmp_path / "env.py").write_text(ENV_HEAD + source)
    env = read_env(tmp_path / "env.py", tmp_path)
    assert env.metadata == expected
    told = any("does not name target_metadata plainly" in note for note in env.notes)
    assert told == (expected is None)


def test_version_table_and_schema_from_configure(tmp_path):
    (tmp_path / "env.py").write_text(
        ENV_HEAD + 'TABLE = "migrations_log"\n'
        "def offline():\n"
        '    context.configure(url="x", version_table=TABLE, version_table_schema="meta")\n'
        "def online(connection):\n"
        '    context.configure(connection=connection, version_table="migrations_log",\n'
        '                      version_table_schema="meta", include_schemas=True)\n'
    )
    env = read_env(tmp_path / "env.py", tmp_path)
    assert (env.version_table, env.version_table_schema) == ("migrations_log", "meta")
    assert env.notes[1:] == (
        "env.py passes include_schemas to configure(): list the schemas besides the default one "
        "in schemas = [...] under [tool.schemadiff]",
    )


def test_a_version_table_that_is_not_plain_is_left_to_the_user(tmp_path):
    (tmp_path / "env.py").write_text(
        ENV_HEAD + "import os\n"
        'context.configure(version_table=os.environ["TABLE"])\n'
        'context.configure(version_table_schema="a")\ncontext.configure(version_table_schema="b")\n'
    )
    env = read_env(tmp_path / "env.py", tmp_path)
    assert (env.version_table, env.version_table_schema) == (None, None)
    assert any(
        "passes version_table to configure() in a way init cannot read" in n for n in env.notes
    )
    assert any(
        "passes version_table_schema to configure() in a way init cannot read" in n
        for n in env.notes
    )


def test_env_py_that_sets_the_url_itself(tmp_path):
    (tmp_path / "env.py").write_text(
        ENV_HEAD + 'import os\ncontext.config.set_main_option("sqlalchemy.url", os.environ["DB"])\n'
    )
    assert any(
        "sets sqlalchemy.url itself" in n for n in read_env(tmp_path / "env.py", tmp_path).notes
    )


# init --from-alembic


@pytest.fixture
def alembic_project(tmp_path):
    shutil.copytree(
        ALEMBIC_PROJECT, tmp_path / "project", ignore=shutil.ignore_patterns("__pycache__", "*.db")
    )
    return tmp_path / "project"


def test_init_from_alembic_appends_the_section_and_prints_it(alembic_project):
    (alembic_project / "pyproject.toml").write_text('[project]\nname = "app"')  # no final newline
    result = run(alembic_project, "init", "--from-alembic")
    assert result.returncode == 0, result.stderr
    section = (
        "# Written by `schemadiff init --from-alembic` from alembic.ini [alembic], migrations/env.py\n"
        "[tool.schemadiff]\n"
        'url = "sqlite:///app.db"\n'
        'metadata = "adopt_app.models:Base"\n'
        'dir = "migrations"\n'
        'version_table = "alembic_version"\n'
        'file_template = "%(year)d%(month).2d%(day).2d_%(rev)s_%(slug)s"\n'
    )
    assert (
        alembic_project / "pyproject.toml"
    ).read_text() == '[project]\nname = "app"\n\n' + section
    assert result.stdout == (
        "Read alembic.ini [alembic], migrations/env.py\n"
        "Added [tool.schemadiff] to pyproject.toml:\n"
        + textwrap.indent(section, "  ")
        + "The scripts stay where they are; alembic_version stays the version table.\n"
    )
    config = load_config(alembic_project, env={})
    assert config.versions_dirs == (alembic_project / "migrations" / "versions",)
    assert (config.version_table, config.metadata) == ("alembic_version", "adopt_app.models:Base")
    history = run(alembic_project, "history")
    assert history.stdout.splitlines()[-1] == "<base> -> 1a2b3c4d5e6f, create author"


def test_init_from_alembic_with_a_path_writes_beside_the_ini(alembic_project, tmp_path):
    result = run(tmp_path, "init", "--from-alembic", "project/alembic.ini")
    assert result.returncode == 0, result.stderr
    assert "Created project/pyproject.toml:" in result.stdout.splitlines()
    assert load_config(alembic_project, env={}).dir == "migrations"


def test_init_from_alembic_changes_nothing_when_a_section_exists(alembic_project):
    before = '[tool.schemadiff]\ndir = "migrations"\n'
    (alembic_project / "pyproject.toml").write_text(before)
    result = run(alembic_project, "init", "--from-alembic", ".")
    assert_one_line_error(
        result, "pyproject.toml has a [tool.schemadiff] section already: nothing was changed"
    )
    assert (alembic_project / "pyproject.toml").read_text() == before


def test_init_from_alembic_takes_no_directory_nor_dir(alembic_project):
    assert_one_line_error(
        run(alembic_project, "init", "--from-alembic", ".", "db"),
        "init --from-alembic takes no DIRECTORY (db): the scripts stay put",
    )
    assert_one_line_error(
        run(alembic_project, "init", "--from-alembic", "--dir", "db"),
        "takes the migrations folder from script_location: drop --dir",
    )
    assert not (alembic_project / "pyproject.toml").exists()


def test_a_url_with_a_password_is_never_written(alembic_project):
    ini_path = alembic_project / "alembic.ini"
    secret = "postgresql+psycopg://app:s3cret@db.example/app"
    ini_path.write_text(ini_path.read_text().replace("sqlite:///%(here)s/app.db", secret))
    result = run(alembic_project, "init", "--from-alembic")
    assert result.returncode == 0, result.stderr
    written = (alembic_project / "pyproject.toml").read_text()
    assert "s3cret" not in written + result.stdout + result.stderr
    assert "\nurl =" not in written
    assert (
        "Note: sqlalchemy.url has a password, so it is not written to pyproject.toml (it is committed): "
        "export SCHEMADIFF_URL=postgresql+psycopg://app:***@db.example/app with the real password"
    ) in result.stdout.splitlines()


def test_given_metadata_wins_and_a_given_url_with_a_password_is_refused(alembic_project):
    result = run(alembic_project, "init", "--from-alembic", "--url", "postgresql://u:pw@h/d")
    assert_one_line_error(result, "the URL has a password", "SCHEMADIFF_URL")
    assert not (alembic_project / "pyproject.toml").exists()
    lines = adopt_alembic(alembic_project, {"metadata": "other.models:Base"})
    assert '  metadata = "other.models:Base"' in lines


def test_several_version_folders_and_the_keys_alembic_users_set(alembic_project):
    """version_locations, prepend_sys_path and truncate_slug_length, honoured by schemadiff."""
    branch = alembic_project / "branches" / "reporting"
    branch.mkdir(parents=True)
    (alembic_project / "src" / "helpers").mkdir(parents=True)
    (alembic_project / "src" / "helpers" / "__init__.py").write_text("TABLE = 'report'\n")
    (branch / "5e6f7a8b9c0d_report.py").write_text(
        '"""report"""\nimport sqlalchemy as sa\nfrom alembic import op\nfrom helpers import TABLE\n'
        'revision = "5e6f7a8b9c0d"\ndown_revision = "4d5e6f7a8b9c"\n\n'
        "def upgrade():\n    op.create_table(TABLE, sa.Column('id', sa.Integer, primary_key=True))\n\n"
        "def downgrade():\n    op.drop_table(TABLE)\n"
    )
    ini_path = alembic_project / "alembic.ini"
    ini_path.write_text(
        ini_path.read_text()
        .replace(
            "prepend_sys_path = .",
            "prepend_sys_path = .:src\n"
            "version_locations = %(here)s/migrations/versions:%(here)s/branches/reporting\n"
            "truncate_slug_length = 10",
        )
        .replace("path_separator = os", "path_separator = :")
    )
    result = run(alembic_project, "init", "--from-alembic")
    assert result.returncode == 0, result.stderr
    assert '  version_locations = ["migrations/versions", "branches/reporting"]' in result.stdout
    assert '  prepend_sys_path = [".", "src"]' in result.stdout
    assert "  truncate_slug_length = 10" in result.stdout
    # The scripts of both folders make one history; the branch's script imports from src/.
    alembic_heads = subprocess.run(
        [sys.executable, "-m", "alembic", "heads"],
        cwd=alembic_project,
        capture_output=True,
        text=True,
    )
    assert run(alembic_project, "heads").stdout == alembic_heads.stdout == "5e6f7a8b9c0d (head)\n"
    upgrade = run(alembic_project, "upgrade", "head", "--sql")
    assert upgrade.returncode == 0, upgrade.stderr
    assert "CREATE TABLE report" in upgrade.stdout
    # A new script follows its parent into the branch's folder, its slug cut at 10 characters.
    generated = run(
        alembic_project, "generate", "--empty", "-m", "summary of sales by month", "--rev-id", "6f"
    )
    assert generated.returncode == 0, generated.stderr
    (path,) = branch.glob("*_6f_*.py")
    assert path.name.endswith("_6f_summary_of.py")


def test_a_version_location_that_is_missing(alembic_project):
    (alembic_project / "pyproject.toml").write_text(
        '[tool.schemadiff]\ndir = "migrations"\nversion_locations = ["migrations/versions", "gone"]\n'
    )
    assert_one_line_error(
        run(alembic_project, "heads"), "version_locations names gone: no such folder"
    )


def test_truncate_slug_length_must_be_a_positive_integer(alembic_project):
    (alembic_project / "pyproject.toml").write_text(
        '[tool.schemadiff]\ntruncate_slug_length = "10"\n'
    )
    assert_one_line_error(
        run(alembic_project, "heads"), "truncate_slug_length must be a positive integer"
    )


def test_the_offline_gate_and_review_see_new_scripts_in_every_version_folder(alembic_project):
    from schemadiff.hazard_policy import gate, parse_policy
    from schemadiff.review import review_new
    from test_hazard_policy import git

    branch = alembic_project / "branches"
    branch.mkdir()
    (alembic_project / ".gitignore").write_text("*.db\n__pycache__/\n")
    ini_path = alembic_project / "alembic.ini"
    ini_path.write_text(
        ini_path.read_text()
        .replace(
            "prepend_sys_path = .",
            "prepend_sys_path = .\nversion_locations = migrations/versions branches",
        )
        .replace("path_separator = os", "path_separator = space")
    )
    assert run(alembic_project, "init", "--from-alembic").returncode == 0
    with (alembic_project / "pyproject.toml").open("a") as f:
        f.write('review_base = "main"\n')
    git(alembic_project, "init", "-q")
    git(alembic_project, "add", ".")
    git(alembic_project, "commit", "-qm", "start")
    (branch / "5e6f7a8b9c0d_drop_year.py").write_text(
        '"""drop year"""\nimport sqlalchemy as sa\nfrom alembic import op\n'
        'revision = "5e6f7a8b9c0d"\ndown_revision = "4d5e6f7a8b9c"\n\n'
        'def upgrade():\n    op.drop_column("book", "year")\n\n'
        'def downgrade():\n    op.add_column("book", sa.Column("year", sa.Integer()))\n'
    )
    result = gate(load_config(alembic_project, env={}), parse_policy(["data-loss"]))
    assert (result.scope, [r.id for r in result.revisions]) == (
        "new against main",
        ["5e6f7a8b9c0d"],
    )
    assert [(t.revision.id, t.hazard.code) for t in result.tripped] == [
        ("5e6f7a8b9c0d", "drop-column")
    ]
    reviewed = review_new(load_config(alembic_project, env={}), None)
    assert [r.revision.id for r in reviewed.revisions] == ["5e6f7a8b9c0d"]


def test_filters_that_env_py_imports_become_settings(tmp_path):
    (tmp_path / "env.py").write_text(
        ENV_HEAD + "from app import filters\nfrom app.filters import include_object as keep\n"
        "def online(connection):\n"
        "    context.configure(connection=connection, include_object=keep,\n"
        "                      include_name=filters.include_name)\n"
        "def offline():\n"
        "    context.configure(url='x', include_object=keep, include_name=filters.include_name)\n"
    )
    env = read_env(tmp_path / "env.py", tmp_path)
    assert (env.include_name, env.include_object) == (
        "app:filters.include_name",
        "app.filters:include_object",
    )
    assert not any("move the function into a module" in note for note in env.notes)
    assert any(
        note.startswith("env.py passes include_object = app.filters:include_object: ")
        for note in env.notes
    )


def test_a_filter_defined_in_env_py_is_left_to_the_user(tmp_path):
    (tmp_path / "env.py").write_text(
        ENV_HEAD + "def include_object(*args):\n    return True\n"
        "context.configure(include_object=include_object)\n"
    )
    env = read_env(tmp_path / "env.py", tmp_path)
    assert env.include_object is None
    assert any(
        "passes include_object to configure(): move the function into a module" in n
        for n in env.notes
    )


def test_the_alembic_style_fixture_adopts_its_models_and_filters(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(
        FIXTURES / "alembic_style", project, ignore=shutil.ignore_patterns("__pycache__", "*.db")
    )
    result = run(project, "init", "--from-alembic")
    assert result.returncode == 0, result.stderr
    config = load_config(project, env={})
    assert (config.metadata, config.setup, config.include_name, config.include_object) == (
        "models:metadata",
        "history_setup",
        "history_filters:include_name",
        "history_filters:include_object",
    )
    assert (config.url, config.dir, config.version_table) == (
        "sqlite:///alembic_style.db",
        "migrations",
        "alembic_version",
    )


@pytest.mark.parametrize(
    "imports, setup, told",
    [
        ("import os\nimport sqlalchemy\nimport alembic.op\n", None, None),
        (
            "import myapp.types  # noqa: F401\n",
            "myapp.types",
            "imports myapp.types and uses it no further: taken as setup",
        ),
        ("import myapp.types\nx = myapp.types.X\n", None, None),
        (
            "import a_setup\nimport b_setup\n",
            None,
            "imports a_setup, b_setup and uses them no further: if the scripts rely",
        ),
    ],
)
def test_a_module_env_py_imports_for_its_effects_is_setup(tmp_path, imports, setup, told):
    (tmp_path / "env.py").write_text(ENV_HEAD + imports)
    env = read_env(tmp_path / "env.py", tmp_path)
    assert env.setup == setup
    notes = [note for note in env.notes if "no further" in note]
    assert [told in note for note in notes] == ([] if told is None else [True])

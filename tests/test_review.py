"""`show REV --format` and `review`: what revisions change, from the scripts alone, as a reviewer
reads it (text, a pull-request comment in markdown, JSON that a schema pins, SQL)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from html import unescape
from pathlib import Path

import jsonschema
import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from conftest import DIALECTS, FIXTURES
from golden_render import (
    render_review,
    review_cases,
    review_golden_path,
    review_project,
    review_scripts,
)
from models import fixture_metadata
from schemadiff.compare import compare
from schemadiff.config import load_config
from schemadiff.report import code, escape
from schemadiff.review import MARKDOWN_LIMIT, as_markdown, json_document, json_schema, review_range
from schemadiff.runtime import offline_sql
from test_cli import assert_one_line_error, run
from test_hazard_policy import git

HERE = Path(__file__).resolve().parent
SCHEMA = HERE.parent / "schemadiff" / "schemas" / "review-1.json"


# -- golden reviews -------------------------------------------------------------------------------


@pytest.mark.parametrize("case,dialect", review_cases())
def test_golden_review(case, dialect):
    rendered = render_review(case, dialect)
    for fmt, text in rendered.items():
        assert (
            text == review_golden_path(case, dialect, fmt).read_text()
        ), f"the {fmt} review changed: read it, then run `python tests/golden_render.py --write`"
    jsonschema.validate(json.loads(rendered["json"]), json_schema())
    assert_renders_cleanly(rendered["markdown"])


def test_the_json_schema_is_pinned():
    """Changing the schema is deliberate: a new schema_version gets a new file."""
    assert SCHEMA.read_text() == (HERE / "golden" / "review" / "review-1.schema.json").read_text()
    jsonschema.Draft202012Validator.check_schema(json_schema())
    assert json_schema()["properties"]["schema_version"] == {"const": 1}


def rendered_text(html: str) -> str:
    """What a reader sees outside code: tags and code blocks gone."""
    html = re.sub(r"<pre>.*?</pre>|<code>.*?</code>", "", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", "", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


def assert_renders_cleanly(markdown: str) -> str:
    html = MarkdownIt("commonmark").render(markdown)
    text = rendered_text(html)
    for leftover in ("**", "`", "###", "<details", "</details", "```"):
        assert leftover not in text, (leftover, text)
    assert html.count("<details>") == html.count("</details>") <= 1
    if "<details>" in html:  # the SQL inside it renders as a code block, not as raw text
        assert '<pre><code class="language-sql">' in html
    return html


# -- what the review says -------------------------------------------------------------------------


@pytest.fixture
def example(tmp_path) -> Path:
    """The README's example project, its two revisions and head snapshot, in a folder of its own."""
    root = tmp_path / "example"
    shutil.copytree(
        FIXTURES / "example", root, ignore=shutil.ignore_patterns("*.db", "__pycache__")
    )
    return root


@pytest.mark.parametrize("dialect", DIALECTS)
def test_review_sql_is_what_upgrade_sql_runs(dialect, tmp_path):
    """Each revision's SQL, hazard comments included, is `upgrade --sql` without the version table."""
    review_project(tmp_path, dialect, review_scripts("example", dialect))
    config = load_config(
        tmp_path, url=f"{dialect}://h/d"
    )  # upgrade --sql tells the dialect by the URL
    reviewed = review_range(config, "base:head")
    printed: list[str] = []
    offline_sql(config, "upgrade", "base:9a8b", printed.append)
    assert all(r.sql for r in reviewed.revisions)
    ours = [s for r in reviewed.revisions for s in r.sql]
    assert [s for s in printed if s in set(ours)] == ours
    hazards = [s for s in ours if s.startswith("-- hazard(")]
    assert hazards == [
        f"-- {h}" for r in reviewed.revisions for op_hazards in r.hazards for h in op_hazards
    ]


@pytest.mark.parametrize("db", DIALECTS, indirect=True)
def test_the_reviewed_sql_builds_the_models(db, tmp_path):
    """The SQL a reviewer reads for the rich fixture, run on a real database, gives its models."""
    config = review_project(tmp_path, db.dialect, review_scripts("rich", db.dialect))
    document = json_document(review_range(config, "base:head"))
    statements = [s for s in document["revisions"][0]["sql"] if not s.startswith("-- ")]
    with db.engine().begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement.removesuffix(";"))
    assert compare(*db.snapshots(fixture_metadata("rich"))) == []


def test_show_prints_the_header_then_the_changes(example):
    shown = run(example, "show", "9a8b")
    assert shown.returncode == 0, shown.stderr
    header, changes = shown.stdout.split("\n\ntable book:\n")
    assert header.startswith("Rev: 9a8b7c6d5e4f (head)\nParent: 1c2d3e4f5a6b\nPath: ")
    assert changes.splitlines() == [
        "  + column book.isbn VARCHAR(13)",
        "  + unique uq_book_isbn on book (isbn)",
        "    ! hazard(may-fail/new-unique): adds unique uq_book_isbn on book: fails if rows repeat a key",
        "    ! hazard(table-rewrite/sqlite-rebuild): rebuilds table book: SQLite copies every row into a new table",
        "2 changes in 1 table, 2 hazards (1 table-rewrite, 1 may-fail)",
    ]

    as_json = json.loads(run(example, "show", "9a8b", "--format", "json").stdout)
    jsonschema.validate(as_json, json_schema())
    assert [r["id"] for r in as_json["revisions"]] == ["9a8b7c6d5e4f"]
    assert as_json["counts"]["hazards"] == {
        "data-loss": 0,
        "table-rewrite": 1,
        "locking": 0,
        "may-fail": 1,
    }
    sql = run(example, "show", "9a8b", "--format", "sql").stdout
    assert "ALTER TABLE book ADD COLUMN isbn VARCHAR(13);" in sql
    markdown = run(example, "show", "9a8b", "--format", "markdown").stdout
    assert markdown.startswith("**schemadiff review** of 1 revision 9a8b7c6d5e4f for sqlite:")
    assert_renders_cleanly(markdown)


def test_show_of_several_heads_gives_each_header_its_own_changes(example):
    versions = example / "migrations" / "versions"
    source = (versions / "9a8b7c6d5e4f_add_isbn_to_book.py").read_text()
    pages = source.replace("9a8b7c6d5e4f", "5e6f7a8b9c0d").replace("isbn", "pages")
    (versions / "5e6f7a8b9c0d_add_pages_to_book.py").write_text(pages)
    shown = run(example, "show", "heads")
    assert shown.returncode == 0, shown.stderr
    entries = shown.stdout.split("Rev: ")[1:]
    assert sorted(e.split(" ")[0] for e in entries) == ["5e6f7a8b9c0d", "9a8b7c6d5e4f"]
    for entry in entries:
        name = "pages" if entry.startswith("5e6f") else "isbn"
        assert f"  + column book.{name} VARCHAR(13)" in entry
        assert ("pages" in entry) == (name == "pages")


def test_show_keeps_its_header_when_a_script_cannot_be_replayed(example):
    script = example / "migrations" / "versions" / "9a8b7c6d5e4f_add_isbn_to_book.py"
    source = script.read_text().replace(
        "def upgrade() -> None:\n",
        "def upgrade() -> None:\n    op.get_bind().execute(sa.text('SELECT 1'))\n",
    )
    script.write_text(source)
    shown = run(example, "show", "9a8b")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("Rev: 9a8b7c6d5e4f (head)")
    assert "Changes: cannot be read offline: " in shown.stdout
    assert "op.get_bind() has no live database connection" in shown.stdout
    assert_one_line_error(run(example, "show", "9a8b", "--format", "json"), "op.get_bind()")


def test_review_of_the_scripts_new_against_a_git_base(example):
    (example / ".gitignore").write_text("*.db\n__pycache__/\n")
    newer = example / "migrations" / "versions" / "9a8b7c6d5e4f_add_isbn_to_book.py"
    kept = newer.read_text()
    newer.unlink()
    git(example, "init", "-q")
    git(example, "add", ".")
    git(example, "commit", "-qm", "start")
    git(example, "checkout", "-qb", "feature")
    newer.write_text(kept)

    for args in (("--base", "main"), ()):
        if not args:  # the same from review_base in the config
            text = (example / "pyproject.toml").read_text()
            (example / "pyproject.toml").write_text(
                text.replace(
                    'metadata = "models:Base"\n', 'metadata = "models:Base"\nreview_base = "main"\n'
                )
            )
        reviewed = run(example, "review", *args, "--format", "json")
        assert reviewed.returncode == 0, reviewed.stderr
        document = json.loads(reviewed.stdout)
        assert document["scope"] == "new against main"
        assert [r["id"] for r in document["revisions"]] == ["9a8b7c6d5e4f"]

    git(example, "add", ".")
    git(example, "commit", "-qm", "add isbn")
    out = example / "review.md"
    written = run(example, "review", "--base", "main", "--format", "markdown", "--output", str(out))
    assert written.returncode == 0 and written.stdout == ""
    assert out.read_text().startswith(
        "**schemadiff review** of 1 revision new against main for sqlite: **2 changes in 1 table**; "
        "hazards: 0 data-loss, 1 table-rewrite, 0 locking, 1 may-fail\n"
    )
    nothing = run(example, "review", "--base", "feature")
    assert nothing.returncode == 0
    assert nothing.stdout == "Review of 0 revisions new against feature for sqlite: 0 changes\n"


def test_review_errors_are_one_line(example):
    assert_one_line_error(
        run(example, "review"), "review needs a RANGE or a git base", "review_base"
    )
    assert_one_line_error(run(example, "review", "base:head", "--base", "main"), "not both")
    assert_one_line_error(run(example, "review", "--base", "main"), "not a git repository")
    assert_one_line_error(run(example, "review", "current:"), "counts from current")
    assert_one_line_error(run(example, "review", "zzz:head"), "zzz")
    (example / "pyproject.toml").write_text('[tool.schemadiff]\nmetadata = "models:Base"\n')
    assert_one_line_error(run(example, "review", "base:head"), "no dialect")


# -- the markdown stays a postable comment --------------------------------------------------------

MANY_TABLES = '''"""200 tables at once: a short list of changes, and long SQL."""
import sqlalchemy as sa
from schemadiff import op

revision = "a1b2c3d4e5f6"
down_revision = None


def upgrade():
    for i in range(200):
        columns = [sa.Column(f"c{j}", sa.String(50), nullable=False) for j in range(30)]
        op.create_table(f"table_{i:03}", sa.Column("id", sa.Integer, primary_key=True), *columns)


def downgrade():
    pass
'''


def test_a_long_review_is_cut_to_fit_a_comment(tmp_path):
    config = review_project(tmp_path, "postgresql", {"a1b2c3d4e5f6_many.py": MANY_TABLES})
    reviewed = review_range(config, "base:head")
    full_sql = "\n".join(s for r in reviewed.revisions for s in r.sql)
    assert len(full_sql) > 2 * MARKDOWN_LIMIT

    markdown = as_markdown(reviewed)
    assert len(markdown) < MARKDOWN_LIMIT
    assert "### table table_199" in markdown  # the list is whole: only the SQL was cut
    note = re.search(
        r"The SQL is cut here to keep this comment short: (\d+) of 200 statements are shown\. "
        r"`schemadiff review base:head --format sql` prints all of it\.",
        markdown,
    )
    assert note, markdown[-500:]
    shown = int(note.group(1))
    assert 0 < shown < 200
    block = markdown.split("```sql\n")[1].split("\n```")[0]
    assert block.count(";") == shown  # cut between statements
    assert_renders_cleanly(markdown)

    tiny = as_markdown(reviewed, limit=3000)
    assert len(tiny) <= 3000
    assert (
        "The list is cut here: `schemadiff review base:head --format text` shows all of it." in tiny
    )
    assert tiny.splitlines()[0].startswith("**schemadiff review** of 1 revision in base:head")
    assert_renders_cleanly(tiny)

    cli = run(tmp_path, "review", "base:head", "--format", "markdown")
    assert cli.stdout == markdown + "\n"


# -- diff and check markdown and JSON follow the same order and shape -----------------------------


def test_diff_and_check_share_the_summary_first_layout_and_the_change_shape(example):
    (example / "models.py").write_text(
        (example / "models.py")
        .read_text()
        .replace("    isbn: Mapped[str | None] = mapped_column(String(13), unique=True)\n", "")
    )
    url = f"sqlite:///{example / 'app.db'}"
    assert run(example, "upgrade", "--url", url).returncode == 0
    diff = run(example, "diff", "--format", "markdown", "--url", url)
    assert diff.returncode == 0, diff.stderr
    lines = diff.stdout.splitlines()
    assert (
        lines[0]
        == "**2 changes in 1 table**; hazards: 1 data-loss, 1 table-rewrite, 0 locking, 0 may-fail"
    )
    assert lines.index("### Hazards") < lines.index("### table book")
    assert lines[lines.index("### Hazards") + 2].startswith(
        "- **data-loss** `drop-column`: drops column book.isbn"
    )
    assert_renders_cleanly(diff.stdout)

    check = run(example, "check", "--format", "markdown", "--url", url)
    assert check.returncode == 1
    assert check.stdout.splitlines()[0] == lines[0]
    assert_renders_cleanly(check.stdout)

    change = {"$ref": "#/$defs/change", "$defs": json_schema()["$defs"]}
    for command in ("diff", "check"):
        document = json.loads(run(example, command, "--format", "json", "--url", url).stdout)
        assert len(document["changes"]) == 2
        for item in document["changes"]:
            jsonschema.validate(item, change)


# -- no database, no driver -----------------------------------------------------------------------

PROBE = """
import json, sys
from schemadiff.cli import main
try:
    main(["review", "base:head", "--format", "markdown"])
except SystemExit as e:
    code = e.code
loaded = sorted({m.split(".")[0] for m in sys.modules} & {%s})
print(json.dumps({"code": code, "loaded": loaded}))
"""
DRIVERS = (
    "psycopg",
    "psycopg2",
    "asyncpg",
    "pg8000",
    "pymysql",
    "MySQLdb",
    "sqlite3",
    "_sqlite3",
    "black",
)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_review_loads_no_driver_and_no_black(dialect, tmp_path):
    review_project(tmp_path, dialect, review_scripts("example", dialect))
    unreachable = {
        "sqlite": "sqlite:////nonexistent/dir/app.db",
        "postgresql": "postgresql+psycopg://u:p@192.0.2.1:1/d",
        "mysql": "mysql+pymysql://u:p@192.0.2.1:1/d",
    }
    (tmp_path / "pyproject.toml").write_text(f'[tool.schemadiff]\nurl = "{unreachable[dialect]}"\n')
    probe = PROBE % ", ".join(repr(d) for d in DRIVERS)
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.stderr == ""
    *shown, report = result.stdout.splitlines()
    assert json.loads(report) == {"code": 0, "loaded": []}
    assert shown[0].startswith(f"**schemadiff review** of 2 revisions in base:head for {dialect}:")


# -- markdown that renders what it says -----------------------------------------------------------

LINE = (
    st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=1)
    .map(str.strip)
    .filter(bool)
)


@given(LINE)
def test_escaped_text_renders_as_itself(text):
    html = MarkdownIt("commonmark").render(f"- x: {escape(text)}")
    shown = unescape(re.sub(r"<[^>]+>", "", html)).strip()
    assert " ".join(shown.split()) == " ".join(f"x: {text}".split())


@given(LINE)
def test_a_code_span_holds_any_text(text):
    html = MarkdownIt("commonmark").render(f"- {code(text)}")
    spans = re.findall(r"<code>(.*?)</code>", html, flags=re.S)
    assert [unescape(s) for s in spans] == [text]


def test_json_of_a_statement_executed_with_bound_values_holds_its_sql():
    """op.execute(sa.update(...)) travels with its SQLAlchemy statement, which is not JSON: the
    JSON gives the op's SQL text."""
    from schemadiff import ops as o
    from schemadiff.report import as_json

    statement = sa.text("UPDATE book SET title = :title").bindparams(title="x")
    op = o.Execute("UPDATE book SET title = 'x'", None, statement)
    detail = json.loads(as_json([op]))["changes"][0]["detail"]
    assert detail == {"sql": "UPDATE book SET title = 'x'", "undo": None}

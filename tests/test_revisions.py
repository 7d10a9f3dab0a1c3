"""Revision scripts and their graph: loading, targets, plans, version rows and listings.

Each test writes a small versions folder under a temporary project and loads it from there, so
paths in messages read `migrations/versions/...` as they do for a user.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Optional, Union

import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemadiff.errors import SchemadiffError
from schemadiff.revisions import (
    Revision,
    RevisionMap,
    history_line,
    load_revisions,
    new_revision_id,
    short_line,
    verbose_entry,
)

VERSIONS = Path("migrations/versions")
CREATE = "d6695a405895"
CONSTRAINT = "fb6192cd49e8"

Ids = Union[None, str, tuple[str, ...]]


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    VERSIONS.mkdir(parents=True)
    return tmp_path


def write(
    revision: str,
    down: Ids = None,
    message: str = "",
    labels: Ids = None,
    depends: Ids = None,
    name: Optional[str] = None,
) -> Path:
    """A revision script as Alembic's template writes it, annotated assignments included."""
    path = VERSIONS / (name or f"{revision}_{message.replace(' ', '_') or 'step'}.py")
    path.parent.mkdir(parents=True, exist_ok=True)
    revises = ", ".join(down) if isinstance(down, tuple) else down or ""
    path.write_text(
        f'"""{message}\n\n'
        f"Revision ID: {revision}\n"
        f"Revises: {revises}\n"
        f"Create Date: 2019-10-06 16:37:17.135564\n\n"
        f'"""\n'
        f"from typing import Union\n\nfrom schemadiff import op\n\n"
        f"revision = {revision!r}\n"
        f"down_revision: Union[str, None] = {down!r}\n"
        f"branch_labels = {labels!r}\n"
        f"depends_on = {depends!r}\n\n\n"
        f"def upgrade():\n    op.execute('SELECT 1')\n\n\n"
        f"def downgrade():\n    pass\n"
    )
    return path


def write_text(name: str, text: str) -> None:
    (VERSIONS / name).write_text(text)


def ids(revisions: list[Revision]) -> list[str]:
    return [revision.id for revision in revisions]


def fails(message: str):
    return pytest.raises(SchemadiffError, match=re.escape(message))


# The tutorial's two revisions


@pytest.fixture
def tutorial(project) -> RevisionMap:
    write(CREATE, None, "create user table")
    write(CONSTRAINT, CREATE, "add username constraint on user")
    return load_revisions(VERSIONS)


def test_script_fields_come_from_the_source(tutorial):
    revision = tutorial.get(CONSTRAINT)
    assert revision.down_revisions == (CREATE,)
    assert revision.branch_labels == () and revision.depends_on == ()
    assert revision.message == "add username constraint on user"
    assert revision.doc.startswith("add username constraint on user\n\nRevision ID: fb6192cd49e8")
    assert revision.create_date == "2019-10-06 16:37:17.135564"
    assert revision.path == VERSIONS / "fb6192cd49e8_add_username_constraint_on_user.py"
    assert ids(tutorial.heads) == [CONSTRAINT] and ids(tutorial.bases) == [CREATE]


def test_history_lines_read_like_alembic(tutorial):
    lines = [history_line(tutorial, revision) for revision in tutorial.history()]
    assert lines == [
        "d6695a405895 -> fb6192cd49e8 (head), add username constraint on user",
        "<base> -> d6695a405895, create user table",
    ]
    assert history_line(tutorial, tutorial.get(CREATE), current=(CREATE,)) == (
        "<base> -> d6695a405895 (current), create user table"
    )
    assert short_line(tutorial, tutorial.get(CONSTRAINT)) == "fb6192cd49e8 (head)"


def test_show_reads_like_alembic(tutorial):
    (revision_id,) = tutorial.resolve("fb619")
    assert verbose_entry(tutorial, tutorial.get(revision_id)) == (
        "Rev: fb6192cd49e8 (head)\n"
        "Parent: d6695a405895\n"
        "Path: migrations/versions/fb6192cd49e8_add_username_constraint_on_user.py\n"
        "\n"
        "    add username constraint on user\n"
        "\n"
        "    Revision ID: fb6192cd49e8\n"
        "    Revises: d6695a405895\n"
        "    Create Date: 2019-10-06 16:37:17.135564"
    )


def test_tutorial_upgrades_and_downgrades(tutorial):
    assert ids(tutorial.upgrade_path((), "head")) == [CREATE, CONSTRAINT]
    assert ids(tutorial.upgrade_path((), "+1")) == [CREATE]
    assert ids(tutorial.upgrade_path((CREATE,), "+1")) == [CONSTRAINT]
    assert ids(tutorial.downgrade_path((CONSTRAINT,), "base")) == [CONSTRAINT, CREATE]
    assert ids(tutorial.upgrade_path((), "fb61")) == [CREATE, CONSTRAINT]
    assert ids(tutorial.downgrade_path((CONSTRAINT,), "d6695")) == [CONSTRAINT]
    assert ids(tutorial.downgrade_path((CONSTRAINT,), "-1")) == [CONSTRAINT]
    assert tutorial.upgrade_path((CONSTRAINT,), "head") == []
    assert tutorial.downgrade_path((), "base") == []


@pytest.mark.parametrize(
    "target, current, expected",
    [
        ("base", (CONSTRAINT,), ()),
        ("head", (), (CONSTRAINT,)),
        ("heads", (), (CONSTRAINT,)),
        ("current", (CREATE,), (CREATE,)),
        ("d66", (), (CREATE,)),
        (CONSTRAINT, (), (CONSTRAINT,)),
        ("+1", (), (CREATE,)),
        ("+2", (), (CONSTRAINT,)),
        ("+1", (CREATE,), (CONSTRAINT,)),
        ("-1", (CONSTRAINT,), (CREATE,)),
        ("-2", (CONSTRAINT,), ()),
        ("head-1", (), (CREATE,)),
        ("fb6-1", (), (CREATE,)),
        ("d66+1", (), (CONSTRAINT,)),
        ("base+2", (), (CONSTRAINT,)),
    ],
)
def test_tutorial_targets(tutorial, target, current, expected):
    assert tutorial.resolve(target, current) == expected


@pytest.mark.parametrize(
    "target, current, message",
    [
        ("+3", (), "'+3' goes beyond head: fb6192cd49e8 is a head"),
        ("+1", (CONSTRAINT,), "'+1' goes beyond head: fb6192cd49e8 is a head"),
        ("-3", (CONSTRAINT,), "'-3' goes beyond base"),
        ("-1", (), "'-1' goes beyond base"),
        ("zzz", (), "unknown revision 'zzz'"),
        ("zzz+1", (), "unknown revision 'zzz'"),
        ("d66@base", (), "'d66@base' is not supported: use d66@head"),
        ("+1", ("abc",), "revision 'abc' is not in the versions folder"),
    ],
)
def test_tutorial_bad_targets(tutorial, target, current, message):
    with fails(message):
        tutorial.resolve(target, current)


def test_offline_ranges(tutorial):
    start, end = tutorial.resolve_range("d66:fb6")
    assert (start, end) == ((CREATE,), (CONSTRAINT,))
    assert ids(tutorial.upgrade_path(start, end)) == [CONSTRAINT]
    start, end = tutorial.resolve_range("d66:base")
    assert (start, end) == ((CREATE,), ())
    assert ids(tutorial.downgrade_path(start, end)) == [CREATE]
    assert tutorial.resolve_range(":head") == (None, (CONSTRAINT,))
    assert tutorial.resolve_range("base:") == ((), None)
    assert tutorial.resolve_range("-1:current", (CONSTRAINT,)) == ((CREATE,), (CONSTRAINT,))
    with fails("'d66' is not a range: write start:end (either side may be empty)"):
        tutorial.resolve_range("d66")


def test_upgrade_must_go_forward_and_downgrade_back(tutorial):
    with fails("target d6695a405895 is not ahead of the current revision fb6192cd49e8"):
        tutorial.upgrade_path((CONSTRAINT,), "d66")
    with fails("target base is not ahead of the current revision fb6192cd49e8"):
        tutorial.upgrade_path((CONSTRAINT,), "base")
    with fails("target fb6192cd49e8 is not behind the current revision d6695a405895"):
        tutorial.downgrade_path((CREATE,), "fb6")
    with fails("target d6695a405895 is not behind the current revision base"):
        tutorial.downgrade_path((), "d66")


# A longer chain


@pytest.fixture
def chain(project) -> RevisionMap:
    for revision, down in [("a1", None), ("b2", "a1"), ("c3", "b2"), ("d4", "c3")]:
        write(revision, down, f"step {revision}")
    return load_revisions(VERSIONS)


def test_chain_order_and_walk(chain):
    assert ids(list(chain)) == ["a1", "b2", "c3", "d4"]
    assert ids(chain.walk(("a1",), ("c3",))) == ["b2", "c3"]
    assert ids(chain.children("b2")) == ["c3"]
    assert len(chain) == 4 and "c3" in chain and "zz" not in chain


def test_chain_history_ranges(chain):
    assert ids(chain.history()) == ["d4", "c3", "b2", "a1"]
    assert ids(chain.history("b2:c3")) == ["c3", "b2"]
    assert ids(chain.history("c:")) == ["d4", "c3"]
    assert ids(chain.history(":b")) == ["b2", "a1"]
    assert ids(chain.history("-1:current", current=("c3",))) == ["c3", "b2"]


def test_chain_steps(chain):
    assert ids(chain.upgrade_path(("a1",), "+2")) == ["b2", "c3"]
    assert ids(chain.downgrade_path(("d4",), "-2")) == ["d4", "c3"]
    assert ids(chain.downgrade_path(("d4",), "b2")) == ["d4", "c3"]
    assert chain.heads_after_upgrade(("a1",), chain.get("b2")) == ("b2",)
    assert chain.heads_after_downgrade(("b2",), chain.get("b2")) == ("a1",)
    assert chain.heads_after_downgrade(("a1",), chain.get("a1")) == ()


# Branches and a merge


@pytest.fixture
def branched(project) -> RevisionMap:
    write("aaa1", None, "root")
    write("bbb2", "aaa1", "left")
    write("ccc3", "aaa1", "right")
    return load_revisions(VERSIONS)


@pytest.fixture
def merged(branched) -> RevisionMap:
    write("ddd4", ("bbb2", "ccc3"), "merge")
    write("eee5", "ddd4", "after merge")
    return load_revisions(VERSIONS)


def test_branches_have_several_heads(branched):
    assert ids(branched.heads) == ["bbb2", "ccc3"]
    assert branched.is_branch_point("aaa1") and not branched.is_branch_point("bbb2")
    assert branched.resolve("heads") == ("bbb2", "ccc3")
    with fails("several heads (bbb2, ccc3): name one, use `heads`, or merge them"):
        branched.resolve("head")
    with fails("'aaa1+1' is ambiguous: aaa1 branches into bbb2, ccc3"):
        branched.resolve("aaa1+1")
    with fails("'+1' is ambiguous: it counts from several revisions (bbb2, ccc3); name one"):
        branched.resolve("+1", ("bbb2", "ccc3"))


def test_branches_get_one_version_row_each(branched):
    plan = branched.upgrade_path((), "heads")
    assert ids(plan) == ["aaa1", "bbb2", "ccc3"]
    rows: tuple[str, ...] = ()
    seen = []
    for revision in plan:
        rows = branched.heads_after_upgrade(rows, revision)
        seen.append(rows)
    assert seen == [("aaa1",), ("bbb2",), ("bbb2", "ccc3")]
    assert ids(branched.upgrade_path(("bbb2",), "ccc3")) == ["ccc3"]
    assert branched.heads_after_downgrade(("bbb2", "ccc3"), branched.get("ccc3")) == ("bbb2",)


def test_branch_listing_markers(branched):
    root = branched.get("aaa1")
    assert history_line(branched, root) == "<base> -> aaa1 (branchpoint), root"
    assert verbose_entry(branched, root).splitlines()[:3] == [
        "Rev: aaa1 (branchpoint)",
        "Parent: <base>",
        "Branches into: bbb2, ccc3",
    ]


def test_merge_joins_the_heads(merged):
    assert ids(merged.heads) == ["eee5"]
    assert merged.is_merge_point("ddd4") and not merged.is_merge_point("eee5")
    assert history_line(merged, merged.get("ddd4")) == "bbb2, ccc3 -> ddd4 (mergepoint), merge"
    assert verbose_entry(merged, merged.get("ddd4")).splitlines()[1] == "Merges: bbb2, ccc3"
    assert ids(merged.upgrade_path(("bbb2",), "head")) == ["ccc3", "ddd4", "eee5"]
    assert ids(merged.upgrade_path((), "ddd4")) == ["aaa1", "bbb2", "ccc3", "ddd4"]
    assert ids(merged.downgrade_path(("eee5",), "aaa1")) == ["eee5", "ddd4", "ccc3", "bbb2"]


def test_merge_version_rows(merged):
    merge = merged.get("ddd4")
    assert merged.heads_after_upgrade(("bbb2", "ccc3"), merge) == ("ddd4",)
    assert merged.heads_after_downgrade(("ddd4",), merge) == ("bbb2", "ccc3")
    with fails("cannot apply ddd4: ccc3 not applied yet"):
        merged.heads_after_upgrade(("bbb2",), merge)
    with fails("cannot apply bbb2: it is applied already"):
        merged.heads_after_upgrade(("ddd4",), merged.get("bbb2"))
    with fails("cannot undo bbb2: it is not a current head (ddd4)"):
        merged.heads_after_downgrade(("ddd4",), merged.get("bbb2"))


def test_stepping_back_over_a_merge(merged):
    assert merged.resolve("-1", ("ddd4",)) == ("bbb2", "ccc3")
    assert ids(merged.downgrade_path(("ddd4",), "-1")) == ["ddd4"]
    with fails("'eee5-3' is ambiguous: it passes a merge of bbb2, ccc3; name the target"):
        merged.resolve("eee5-3")


# Branch labels and dependencies


@pytest.fixture
def labelled(project) -> RevisionMap:
    write("a1", None, "app root", labels="app")
    write("a2", "a1", "app two")
    write("n1", None, "network root", labels=("networking",))
    write("n2", "n1", "network two")
    write("a3", "a2", "app needs network", depends="networking")
    return load_revisions(VERSIONS)


def test_branch_labels_name_targets(labelled):
    assert labelled.resolve("networking") == ("n1",)
    assert labelled.resolve("networking@head") == ("n2",)
    assert labelled.resolve("app@head") == ("a3",)
    assert labelled.resolve("a2@head") == ("a3",)
    assert ids(labelled.upgrade_path((), "networking@head")) == ["n1", "n2"]
    assert short_line(labelled, labelled.get("n1")) == "n1 (networking)"
    with fails("unknown branch 'nope'"):
        labelled.resolve("nope@head")


def test_dependencies_order_without_branching(labelled):
    assert ids(labelled.heads) == ["a3", "n2"]
    assert not labelled.is_branch_point("n1")
    assert ids(labelled.upgrade_path((), "app@head")) == ["a1", "a2", "n1", "a3"]
    assert labelled.heads_after_upgrade(("a2", "n1"), labelled.get("a3")) == ("a3",)
    assert labelled.heads_after_upgrade(("a3",), labelled.get("n2")) == ("a3", "n2")
    assert ids(labelled.downgrade_path(("a3", "n2"), "networking")) == ["n2", "a3"]
    assert history_line(labelled, labelled.get("a3")) == (
        "a2 (networking) -> a3 (head), app needs network"
    )
    assert "Also depends on: networking" in verbose_entry(labelled, labelled.get("a3"))


# Folders


def test_subfolders_load_and_private_files_are_skipped(project):
    write("a1", None, "first", name="2024/a1_first.py")
    write("b2", "a1", "second", name="2025/q1/b2_second.py")
    for skipped in ["__init__.py", "_helpers.py", "__pycache__/x.py", ".trash/x.py", "_old/x.py"]:
        (VERSIONS / skipped).parent.mkdir(parents=True, exist_ok=True)
        (VERSIONS / skipped).write_text("this is not python (\n")
    (VERSIONS / "README").write_text("not a script")
    revisions = load_revisions(VERSIONS)
    assert ids(list(revisions)) == ["a1", "b2"]
    assert revisions.get("b2").path == VERSIONS / "2025/q1/b2_second.py"


def test_empty_folder_is_at_base(project):
    revisions = load_revisions(VERSIONS)
    assert len(revisions) == 0 and revisions.heads == ()
    assert revisions.resolve("head") == () and revisions.upgrade_path((), "heads") == []
    with fails("'+1' goes beyond head: there are no revisions"):
        revisions.resolve("+1")


# Broken folders


def test_missing_folder(project):
    with fails("migrations/nowhere: no such folder"):
        load_revisions(Path("migrations/nowhere"))


def test_syntax_error_names_file_and_line(project):
    write_text("abc_x.py", '"""x"""\nrevision = "abc"\ndown_revision = (\n')
    with fails("migrations/versions/abc_x.py: syntax error at line 3: "):
        load_revisions(VERSIONS)


@pytest.mark.parametrize(
    "source, message",
    [
        ("down_revision = None\n", "x.py: no revision id: expected a top-level `revision = '...'`"),
        ("import uuid\nrevision = uuid.uuid4().hex\n", "x.py: revision at line 2 is not a literal"),
        ("revision = 42\n", "x.py: revision at line 1 must be a non-empty string"),
        (
            "revision = 'a1'\ndown_revision = 3\n",
            "x.py: down_revision at line 2 must be None, a string or a tuple of strings",
        ),
        ("def f():\n    revision = 'a1'\n", "x.py: no revision id"),
    ],
)
def test_bad_script_values(project, source, message):
    write_text("x.py", source)
    with fails(f"migrations/versions/{message}"):
        load_revisions(VERSIONS)


def test_unknown_parent(project):
    write("a1", "zzz", name="a1_x.py")
    with fails("migrations/versions/a1_x.py: down_revision names unknown revision 'zzz'"):
        load_revisions(VERSIONS)


def test_unknown_dependency(project):
    write("a1", None, name="a1_x.py")
    write("b2", "a1", depends=("a1", "nope"), name="b2_x.py")
    with fails("migrations/versions/b2_x.py: depends_on names unknown revision 'nope'"):
        load_revisions(VERSIONS)


def test_duplicate_revision_id(project):
    write("a1", None, name="a.py")
    write("a1", None, name="b.py")
    with fails("duplicate revision id 'a1': migrations/versions/a.py and migrations/versions/b.py"):
        load_revisions(VERSIONS)


def test_duplicate_branch_label(project):
    write("a1", None, labels="app", name="a.py")
    write("b2", None, labels=("app",), name="b.py")
    with fails(
        "branch label 'app' is used twice: migrations/versions/a.py and migrations/versions/b.py"
    ):
        load_revisions(VERSIONS)


def test_cycle_names_its_revisions(project):
    write("root", None)
    write("aaa1", "ccc3")
    write("bbb2", "aaa1")
    write("ccc3", "bbb2")
    write("ddd4", "ccc3")
    with fails("revision cycle: aaa1 -> bbb2 -> ccc3 -> aaa1"):
        load_revisions(VERSIONS)


def test_revision_that_revises_itself(project):
    write("aaa1", "aaa1")
    with fails("revision cycle: aaa1 -> aaa1"):
        load_revisions(VERSIONS)


def test_ambiguous_and_unknown_prefixes(project):
    write("abc1", None)
    write("abd2", "abc1")
    revisions = load_revisions(VERSIONS)
    with fails("'ab' is ambiguous: abc1, abd2"):
        revisions.resolve("ab")
    with fails("unknown revision 'zzz'"):
        revisions.resolve("zzz")
    with fails("unknown revision 'zzz'"):
        revisions.get("zzz")
    assert revisions.resolve("abd") == ("abd2",)


def test_new_revision_ids():
    first, second = new_revision_id(), new_revision_id()
    assert re.fullmatch("[0-9a-f]{12}", first) and first != second


# Random graphs


@st.composite
def revision_maps(draw) -> RevisionMap:
    """A random DAG: each revision revises and depends on earlier ones, under shuffled ids."""
    names = draw(
        st.lists(
            st.text("0123456789abcdef", min_size=3, max_size=3),
            min_size=1,
            max_size=12,
            unique=True,
        )
    )
    revisions = []
    for position, name in enumerate(names):
        parents = draw(some_of(names[:position], 2))
        dependencies = draw(some_of(names[:position], 1))
        revisions.append(
            Revision(name, tuple(parents), (), tuple(dependencies), "", "", Path(f"{name}.py"))
        )
    return RevisionMap(revisions)


def some_of(names: list[str], most: int) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(names), max_size=most, unique=True) if names else st.just([])


def requirements(revision: Revision) -> tuple[str, ...]:
    return revision.down_revisions + revision.depends_on


def apply(revisions: RevisionMap, rows: tuple[str, ...], plan: list[Revision]) -> tuple[str, ...]:
    for revision in plan:
        rows = revisions.heads_after_upgrade(rows, revision)
    return rows


def undo(revisions: RevisionMap, rows: tuple[str, ...], plan: list[Revision]) -> tuple[str, ...]:
    for revision in plan:
        rows = revisions.heads_after_downgrade(rows, revision)
    return rows


def descendants(revisions: RevisionMap, revision_id: str) -> set[str]:
    found = {revision_id}
    for revision in revisions:  # topological order: requirements are seen first
        if found.intersection(requirements(revision)):
            found.add(revision.id)
    return found - {revision_id}


@given(revision_maps())
def test_everything_up_then_everything_down(revisions):
    plan = revisions.upgrade_path((), "heads")
    assert sorted(ids(plan)) == sorted(revision.id for revision in revisions)
    position = {revision_id: index for index, revision_id in enumerate(ids(plan))}
    for revision in plan:
        assert all(
            position[required] < position[revision.id] for required in requirements(revision)
        )

    rows = apply(revisions, (), plan)
    required = {rid for revision in revisions for rid in requirements(revision)}
    assert set(rows) == {revision.id for revision in revisions} - required

    back = revisions.downgrade_path(rows, "base")
    assert sorted(ids(back)) == sorted(ids(plan))
    position = {revision_id: index for index, revision_id in enumerate(ids(back))}
    for revision in back:
        assert all(
            position[required] > position[revision.id] for required in requirements(revision)
        )
    assert undo(revisions, rows, back) == ()


@given(revision_maps(), st.data())
def test_up_to_a_target_then_down_to_it(revisions, data):
    target = data.draw(st.sampled_from(ids(list(revisions))))
    first = revisions.upgrade_path((), target)
    rows = apply(revisions, (), first)
    rest = revisions.upgrade_path(rows, "heads")
    assert not set(ids(first)) & set(ids(rest))
    assert len(first) + len(rest) == len(revisions)

    rows = apply(revisions, rows, rest)
    back = revisions.downgrade_path(rows, target)
    assert set(ids(back)) == descendants(revisions, target)
    rows = undo(revisions, rows, back)
    assert revisions.upgrade_path(rows, target) == []
    assert revisions.downgrade_path(rows, target) == []

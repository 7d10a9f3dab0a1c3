"""The README's CI recipes are real: their YAML parses, and every `schemadiff` command they run
works on the example project in a git repository whose pull request adds a revision."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from typing import Iterator

import pytest
import yaml

from conftest import FIXTURES
from schemadiff.review import MARKER
from test_cli import run
from test_hazard_policy import git

README = Path(__file__).resolve().parent.parent / "README.md"
#: What CI fills in: the branch the pull request goes into.
CI_VARIABLES = {"${{ github.base_ref }}": "main", "$CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"}


def yaml_documents() -> list:
    blocks = re.findall(r"^```yaml\n(.*?)^```$", README.read_text(), flags=re.S | re.M)
    return [yaml.safe_load(block) for block in blocks]


def commands(node) -> Iterator[str]:
    """The command lines of every `run:` (GitHub), `script:` (GitLab) and `entry:` (pre-commit)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("run", "script", "entry"):
                for text in value if isinstance(value, list) else [value]:
                    yield from (line.strip() for line in text.splitlines() if line.strip())
            else:
                yield from commands(value)
    elif isinstance(node, list):
        for item in node:
            yield from commands(item)


def filled_in(line: str) -> list[str]:
    for variable, value in CI_VARIABLES.items():
        line = line.replace(variable, value)
    return shlex.split(line, comments=True)


def the_recipes() -> tuple[dict, dict]:
    documents = yaml_documents()
    github = next(d for d in documents if "jobs" in d)
    gitlab = next(d for d in documents if "schemadiff" in d and "script" in d["schemadiff"])
    return github, gitlab


def test_the_recipes_use_the_standard_actions_and_post_the_review():
    github, gitlab = the_recipes()
    steps = github["jobs"]["schemadiff"]["steps"]
    uses = {step["uses"].split("@")[0]: step for step in steps if "uses" in step}
    assert uses["actions/checkout"]["with"]["fetch-depth"] == 0
    assert "actions/setup-python" in uses
    poster = uses["actions/github-script"]["with"]["script"]
    assert github["permissions"]["pull-requests"] == "write"
    assert gitlab["schemadiff"]["variables"]["GIT_DEPTH"] == "0"
    curl = next(line for line in gitlab["schemadiff"]["script"] if line.startswith("curl"))
    assert "/merge_requests/$CI_MERGE_REQUEST_IID/notes" in curl

    for recipe, posts in ((github, poster), (gitlab, curl)):
        review = [filled_in(c) for c in commands(recipe) if c.startswith("schemadiff review")]
        assert len(review) == 1 and "markdown" in review[0]
        output = review[0][review[0].index("--output") + 1]
        assert output in posts  # the comment posts the file that review wrote
        gate = [filled_in(c) for c in commands(recipe) if c.startswith("schemadiff check")]
        assert gate and all("--offline" in c for c in gate)
    assert MARKER in poster  # it replaces its earlier comment


@pytest.fixture
def pull_request(tmp_path) -> Path:
    """The example project cloned from an origin whose main lacks 9a8b, on a branch that adds it."""
    upstream = tmp_path / "upstream"
    shutil.copytree(
        FIXTURES / "example", upstream, ignore=shutil.ignore_patterns("*.db", "__pycache__")
    )
    (upstream / ".gitignore").write_text("*.db\n__pycache__/\n")
    added = upstream / "migrations" / "versions" / "9a8b7c6d5e4f_add_isbn_to_book.py"
    script = added.read_text()
    added.unlink()
    git(upstream, "init", "-q")
    git(upstream, "add", ".")
    git(upstream, "commit", "-qm", "start")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(upstream), str(clone))
    git(clone, "checkout", "-qb", "add-isbn")
    (clone / added.relative_to(upstream)).write_text(script)
    git(clone, "add", ".")
    git(clone, "commit", "-qm", "add isbn")
    return clone


def test_every_schemadiff_command_of_the_recipes_runs(pull_request):
    lines = [c for document in yaml_documents() for c in commands(document)]
    ours = [filled_in(line) for line in lines if line.startswith("schemadiff ")]
    assert len(ours) >= 5  # the pre-commit hook's, and two in each CI job
    for argv in ours:
        result = run(pull_request, *argv[1:])
        assert result.returncode == 0, (argv, result.stdout, result.stderr)
        if argv[1] == "review":
            written = (pull_request / argv[argv.index("--output") + 1]).read_text()
            assert written.startswith("**schemadiff review** of 1 revision new against origin/main")
            assert written.rstrip().endswith(MARKER)

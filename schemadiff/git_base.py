"""Which revision scripts are new against a git base: the ones a pull request adds.

A script is new when it was added in the versions folder since the merge base of HEAD and the
base (committed, staged or not), or when git does not track it yet.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from .errors import SchemadiffError

if TYPE_CHECKING:
    from .revisions import Revision


def new_revisions(
    revisions: Iterable["Revision"], folders: Iterable[Path], base: str
) -> list["Revision"]:
    """The revisions whose scripts, in any of the version `folders`, are new against `base`."""
    new = set().union(*(new_scripts(folder, base) for folder in folders))
    return [r for r in revisions if r.path.resolve() in new]


def new_scripts(versions_dir: Path, base: str) -> set[Path]:
    """The resolved paths of scripts under `versions_dir` that are new against git ref `base`."""
    if not versions_dir.is_dir():
        raise SchemadiffError(
            f"no migrations folder at {versions_dir}: run `schemadiff init` first"
        )
    top = Path(_git(versions_dir, "rev-parse", "--show-toplevel", error="not a git repository"))
    merge_base = _git(
        top, "merge-base", "HEAD", base, error=f"cannot compare with git base {base!r}"
    )
    folder = str(versions_dir.resolve().relative_to(top.resolve()))
    added = _git(
        top,
        "diff",
        "--name-only",
        "--diff-filter=A",
        merge_base,
        "--",
        folder,
        error="git diff failed",
    )
    untracked = _git(
        top,
        "ls-files",
        "--others",
        "--exclude-standard",
        "--full-name",
        "--",
        folder,
        error="git ls-files failed",
    )
    return {
        (top / line).resolve()
        for line in (added + "\n" + untracked).splitlines()
        if line.endswith(".py")
    }


def _git(cwd: Path, *args: str, error: str) -> str:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise SchemadiffError("git is not installed, and a git base needs it") from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"git {args[0]} exited {done.returncode}"
        raise SchemadiffError(f"{error}: {reason}")
    return done.stdout.strip()

"""What a set of revisions changes, for people who review it: from the scripts alone, no database.

A `Review` holds, for each revision, the ops its upgrade runs, their hazards on the configured
dialect (from the schema the revision starts at) and its SQL for that dialect, each op's hazards
as comments above its statements, as `upgrade --sql` prints them. It renders as text, markdown
made to be posted as a pull-request comment, JSON (schemas/review-1.json) and SQL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Optional, Sequence

from . import ops as o
from .config import Config
from .errors import SchemadiffError
from .hazards import Hazard
from .report import (
    Item,
    as_text as changes_text,
    class_counts,
    code,
    escape,
    json_changes,
    markdown_body,
    markdown_headline,
    summary,
)
from .revisions import Revision, RevisionMap

#: The version of the JSON document (`schema_version`); its JSON Schema is schemas/review-<n>.json.
SCHEMA_VERSION = 1
#: Markdown stays below this many characters: GitHub refuses comments longer than 65,536.
MARKDOWN_LIMIT = 60_000
#: The last line of the markdown, so that CI can find its earlier comment and replace it.
MARKER = "<!-- schemadiff-review -->"
NO_SCHEMA_CHANGES = "No schema changes."


@dataclass(frozen=True)
class RevisionChanges:
    """One revision's upgrade: its ops, the hazards of each, and its SQL."""

    revision: Revision
    ops: tuple[o.Op, ...]
    hazards: tuple[tuple[Hazard, ...], ...]
    #: As `upgrade --sql` prints it (without the version table): each hazard a `-- ` comment.
    sql: tuple[str, ...]


@dataclass(frozen=True)
class Review:
    #: Which revisions: "in base:head", "new against origin/main" or "9a8b7c6d5e4f".
    scope: str
    #: The kind of server the hazards and the SQL are for: postgresql, mysql, mariadb or sqlite.
    server: str
    revisions: tuple[RevisionChanges, ...]
    #: The command that shows this review, for notes that point at the rest of it.
    command: str
    #: The folder that revision paths are shown relative to.
    root: Path

    @property
    def items(self) -> list[Item]:
        """Every op with its hazards, tagged with its revision when there are several."""
        several = len(self.revisions) > 1
        return [
            (op, hazards, r.revision.id if several else "")
            for r in self.revisions
            for op, hazards in zip(r.ops, r.hazards)
        ]


# -- which revisions ------------------------------------------------------------------------------


def review_range(config: Config, rev_range: str) -> Review:
    """The revisions in `rev_range` (as `history -r` reads it: both ends included)."""
    from .head_snapshot import revision_map

    revisions = revision_map(config)
    if revisions.needs_current(rev_range):
        raise SchemadiffError(
            f"review works from the scripts, without a database: {rev_range!r} counts from current; give revision ids"
        )
    chosen = revisions.history(rev_range)[::-1]
    return review(config, revisions, chosen, f"in {rev_range}", f"schemadiff review {rev_range}")


def review_new(config: Config, base: Optional[str]) -> Review:
    """The revisions whose scripts are new against git ref `base` (default: review_base)."""
    from .git_base import new_revisions
    from .head_snapshot import revision_map

    base = base or config.review_base
    if not base:
        raise SchemadiffError(
            "review needs a RANGE or a git base: pass --base origin/main, or set review_base in [tool.schemadiff]"
        )
    revisions = revision_map(config)
    chosen = new_revisions(revisions, config.versions_dirs, base)
    return review(
        config, revisions, chosen, f"new against {base}", f"schemadiff review --base {base}"
    )


def review_revision(config: Config, revisions: RevisionMap, rev: str, ids: Sequence[str]) -> Review:
    """The revisions that `show REV` resolved `rev` to."""
    return review(
        config, revisions, [revisions.get(i) for i in ids], ", ".join(ids), f"schemadiff show {rev}"
    )


def review(
    config: Config, revisions: RevisionMap, chosen: Sequence[Revision], scope: str, command: str
) -> Review:
    """The review of `chosen`, replayed offline on the configured dialect from base."""
    from .dialects import offline_dialect
    from .execute import script_sql
    from .hazards import assess
    from .head_snapshot import configured_server
    from .revision_ops import record_revisions

    server = configured_server(config)
    dialect = offline_dialect(server)
    reviewed = tuple(
        RevisionChanges(
            r.revision,
            r.ops,
            tuple(assess(r.ops, dialect, r.start)),
            tuple(script_sql(list(r.ops), r.start, dialect)),
        )
        for r in record_revisions(revisions, chosen, dialect)
    )
    return Review(scope, server, reviewed, command, config.root)


# -- text -----------------------------------------------------------------------------------------


def revision_text(changes: RevisionChanges) -> str:
    """One revision's changes, hazards under each, as `diff` prints them."""
    return changes_text(changes.ops, changes.hazards, NO_SCHEMA_CHANGES)


def as_text(review: Review) -> str:
    lines = [f"Review of {_revisions_phrase(review)} for {review.server}: {_summary(review)}"]
    for changes in review.revisions:
        lines += [
            "",
            f"Revision {changes.revision.id}: {changes.revision.message}",
            revision_text(changes),
        ]
    return "\n".join(lines)


def _revisions_phrase(review: Review) -> str:
    n = len(review.revisions)
    return f"{n} revision{'s' * (n != 1)} {review.scope}"


def _summary(review: Review) -> str:
    items = review.items
    return summary([op for op, _, _ in items], [hazards for _, hazards, _ in items])


# -- markdown -------------------------------------------------------------------------------------


def as_markdown(review: Review, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment: the counts, the hazards, the changes by table, the revisions, and
    the SQL in a collapsed block; at most `limit` characters, the SQL (then the list) cut to fit."""
    items = review.items
    head = [
        f"**schemadiff review** of {escape(_revisions_phrase(review))} for {review.server}: "
        + markdown_headline(items)
    ]
    revisions = ["### Revisions", ""] + [
        f"- {code(r.revision.id)} {escape(r.revision.message)}" for r in review.revisions
    ]
    body = markdown_body(items) + revisions + [""]
    ending = ["", MARKER]
    room = limit - _length(head + ending) - 600  # what the SQL block's frame and notes take
    body = _fit(
        body,
        room,
        f"The list is cut here: {code(review.command + ' --format text')} shows all of it.",
    )
    sql = _sql_block(review, limit - _length(head + [""] + body + ending))
    return "\n".join(head + [""] + body + sql + ending)


def _length(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _fit(lines: list[str], room: int, note: str) -> list[str]:
    """`lines` if they fit in `room` characters, else as many as fit, then `note`."""
    if _length(lines) <= room:
        return lines
    kept: list[str] = []
    for line in lines:
        if _length(kept) + len(line) + 1 > room - len(note) - 2:
            break
        kept.append(line)
    return kept + ["", note, ""]


def _sql_block(review: Review, room: int) -> list[str]:
    """The SQL in a collapsed block, cut between statements to fit in `room` characters."""
    entries = sql_lines(review)
    if not entries:
        return []
    fence = "`" * max(3, _longest_backtick_run("".join(entries)) + 1)
    counted = sum(not e.startswith("-- ") for e in entries)
    frame = [
        "<details>",
        f"<summary>SQL for {review.server} ({counted} statement{'s' * (counted != 1)})</summary>",
        "",
        f"{fence}sql",
    ]

    def cut(shown: int) -> list[str]:
        note = (
            f"The SQL is cut here to keep this comment short: {shown} of {counted} statements "
            f"are shown. {code(review.command + ' --format sql')} prints all of it."
        )
        return [fence, "", note, "", "</details>"]

    close = [fence, "", "</details>"]
    kept: list[str] = []
    shown = 0
    for entry in entries:
        lines = entry.split("\n") if entry.endswith("\n") else [entry]
        if _length(frame + kept + lines + cut(counted)) > room:
            return frame + _trimmed(kept) + cut(shown)
        kept += lines
        shown += not entry.startswith("-- ")
    return frame + _trimmed(kept) + close


def _trimmed(lines: list[str]) -> list[str]:
    return lines[:-1] if lines and not lines[-1] else lines


def _longest_backtick_run(text: str) -> int:
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    return longest


# -- SQL ------------------------------------------------------------------------------------------


def sql_lines(review: Review) -> list[str]:
    """Each revision's SQL under a comment that names it; statements end with `;` and a newline."""
    lines = []
    for changes in review.revisions:
        revision = changes.revision
        lines.append(f"-- Revision {revision.id}: {' '.join(revision.message.split())}\n")
        lines += list(changes.sql)
    return lines


def as_sql(review: Review) -> str:
    head = f"-- schemadiff review of {_revisions_phrase(review)} for {review.server}: {_summary(review)}\n"
    return "\n".join([head, *sql_lines(review)]).rstrip("\n")


# -- JSON -----------------------------------------------------------------------------------------


def json_document(review: Review) -> dict:
    """The review as schemas/review-1.json describes it."""
    items = review.items
    return {
        "format": "schemadiff-review",
        "schema_version": SCHEMA_VERSION,
        "scope": review.scope,
        "dialect": review.server,
        "summary": _summary(review),
        "counts": {
            "changes": len(items),
            "hazards": class_counts([h for _, hazards, _ in items for h in hazards]),
        },
        "revisions": [
            {
                "id": r.revision.id,
                "message": r.revision.message,
                "down_revisions": list(r.revision.down_revisions),
                "path": _shown_path(r.revision.path, review.root),
                "summary": summary(r.ops, r.hazards) if r.ops else NO_SCHEMA_CHANGES,
                "changes": json_changes(r.ops, r.hazards),
                "sql": [s.rstrip("\n") for s in r.sql],
            }
            for r in review.revisions
        ],
    }


def _shown_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def as_json(review: Review) -> str:
    return json.dumps(json_document(review), indent=2)


def json_schema(version: int = SCHEMA_VERSION) -> dict:
    """The JSON Schema of review documents of `version`."""
    text = (
        resources.files("schemadiff").joinpath(f"schemas/review-{version}.json").read_text("utf-8")
    )
    return json.loads(text)


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json, "sql": as_sql}


def render(review: Review, fmt: str = "text") -> str:
    return FORMATS[fmt](review)

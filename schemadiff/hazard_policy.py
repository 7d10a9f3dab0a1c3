"""The gate that CI puts on hazards: `check --fail-on data-loss,locking`, or `fail_on` in config.

The gate looks at revisions, not at the drift: the ops their upgrades run, with the hazards of
each on the configured dialect. Which revisions it looks at:
- a range that is given (`--range a:b`);
- else the scripts new against a git base (`--base origin/main`);
- else, with a database, the revisions it has not applied yet;
- else (offline) the scripts new against `review_base` from the config.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

from . import ops as o
from .config import Config
from .errors import SchemadiffError
from .hazards import CLASSES, CODES, Hazard, assess
from .report import (
    NO_CHANGES,
    Found,
    as_markdown,
    as_text,
    code,
    describe,
    escape,
    json_changes,
    op_name,
    summary,
)
from .revisions import Revision, RevisionMap

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

# Every `check` reads its policy and writes its report here; what running the gate needs
# (a connection, the scripts' replay, git) is imported only where a policy is set.


@dataclass(frozen=True)
class Policy:
    """The hazard classes and codes that fail a check."""

    fail_on: tuple[str, ...]

    def trips(self, hazard: Hazard) -> bool:
        return hazard.kind in self.fail_on or hazard.code in self.fail_on


def parse_policy(values: Iterable[str], source: str = "--fail-on") -> Policy:
    """A policy from class and code names, each value possibly comma-separated."""
    names = tuple(n.strip() for v in values for n in v.split(",") if n.strip())
    unknown = [n for n in names if n not in CLASSES and n not in CODES]
    if unknown:
        raise SchemadiffError(
            f"{source}: unknown hazard class or code {', '.join(map(repr, unknown))} "
            f"(classes: {', '.join(CLASSES)}; codes: {', '.join(sorted(CODES))})"
        )
    return Policy(names)


@dataclass(frozen=True)
class Tripped:
    """One hazard of one op of one revision that the policy fails on."""

    revision: Revision
    op: o.Op
    hazard: Hazard

    def __str__(self) -> str:
        return f"{self.revision.id} ({self.revision.message}): {describe(self.op)}: {self.hazard}"


@dataclass(frozen=True)
class GateResult:
    policy: Policy
    #: Which revisions the gate looked at: "pending", "new against origin/main" or "in a:b".
    scope: str
    revisions: tuple[Revision, ...]
    tripped: tuple[Tripped, ...]


def configured_policy(
    config: Config, fail_on: Optional[str], base: Optional[str], rev_range: Optional[str]
) -> Policy:
    """The policy of `--fail-on`, or else of `fail_on` in the config."""
    if fail_on is not None:
        policy = parse_policy([fail_on])
    else:
        policy = parse_policy(config.fail_on, "fail_on in [tool.schemadiff]")
    if not policy.fail_on and (base is not None or rev_range is not None):
        raise SchemadiffError(
            "--base and --range choose the revisions that --fail-on gates: give --fail-on, or set fail_on in [tool.schemadiff]"
        )
    return policy


def online_gate(
    config: Config, policy: Policy, base: Optional[str] = None, rev_range: Optional[str] = None
) -> Optional[GateResult]:
    """The gate of an online check, None when the policy fails on nothing. Without a range or a
    base it looks at the revisions that the database has not applied yet."""
    if not policy.fail_on:
        return None
    if base is not None or rev_range is not None:
        return gate(config, policy, None, base, rev_range)
    from .api import connect

    with connect(config.require_url()) as conn:
        return gate(config, policy, conn)


def gate(
    config: Config,
    policy: Policy,
    conn: Optional["Connection"] = None,
    base: Optional[str] = None,
    rev_range: Optional[str] = None,
) -> GateResult:
    """The hazards of the selected revisions' upgrades that `policy` fails on."""
    from .dialects import for_sa_dialect, offline_dialect
    from .head_snapshot import configured_server, revision_map
    from .revision_ops import record_revisions

    revisions = revision_map(config)
    dialect = (
        for_sa_dialect(conn.dialect) if conn is not None else offline_dialect(configured_server(config))
    )
    scope, selected = _select(config, revisions, conn, base, rev_range)
    recorded = record_revisions(revisions, selected, dialect, _replay_start(config, revisions, dialect, conn, selected))
    tripped = [
        Tripped(r.revision, op, h)
        for r in recorded
        for op, hazards in zip(r.ops, assess(r.ops, dialect, r.start))
        for h in hazards
        if policy.trips(h)
    ]
    return GateResult(policy, scope, tuple(r.revision for r in recorded), tuple(tripped))


def _replay_start(config: Config, revisions: RevisionMap, dialect, conn, selected: list[Revision]):
    """The schema the replay of `selected` starts from: the database where the gate has one (it
    knows tables that scripts made in raw SQL), else the committed head snapshot when it comes
    before them all, else base."""
    from .replay_start import BASE, committed, reflected

    start = reflected(conn, config) if conn is not None else committed(config, revisions, dialect)
    return start if start and start.comes_before(revisions, selected) else BASE


def _select(
    config: Config, revisions: RevisionMap, conn, base, rev_range
) -> tuple[str, list[Revision]]:
    if rev_range is not None:
        start, end = revisions.resolve_range(rev_range)
        return f"in {rev_range}", revisions.upgrade_path(
            start or (), end if end is not None else "heads"
        )
    if base is None and conn is not None:
        from .version_table import read_versions

        current = read_versions(conn, config.version_table, config.version_table_schema)
        return "pending", revisions.upgrade_path(current, "heads")
    base = base or config.review_base
    if not base:
        raise SchemadiffError(
            "no revisions to gate without a database: pass --base or --range, or set review_base in [tool.schemadiff]"
        )
    from .git_base import new_revisions

    return f"new against {base}", new_revisions(revisions, config.versions_dirs, base)


# -- the check report: drift, then the gate ------------------------------------------------------


def gate_headline(result: GateResult) -> str:
    """E.g. `fail_on data-loss: 1 hazard trips it in 2 revisions pending: ab12, cd34`."""
    ids = ", ".join(r.id for r in result.revisions)
    count = len(result.revisions)
    checked = f"{count} revision{'s' * (count != 1)} {result.scope}" + (f": {ids}" if ids else "")
    n = len(result.tripped)
    verdict = f"{n} hazard{'s' * (n != 1)} trip{'s' * (n == 1)} it" if n else "nothing trips it"
    return f"fail_on {', '.join(result.policy.fail_on)}: {verdict} in {checked}"


def check_report(
    ops: Sequence[o.Op],
    found: Optional[Found],
    result: Optional[GateResult],
    fmt: str,
    notes: Sequence[str] = (),
    clean: Optional[str] = None,
) -> str:
    """What `check` prints: the drift, its cause and what to run (`notes`), then the gate's verdict."""
    clean = clean or NO_CHANGES
    if fmt == "json":
        document: dict = {
            "changes": json_changes(ops, found),
            "summary": summary(ops, found) if ops else clean,
            "notes": list(notes),
        }
        document["gate"] = None if result is None else _gate_json(result)
        return json.dumps(document, indent=2)
    drift = as_markdown(ops, found, clean) if fmt == "markdown" else as_text(ops, found, clean)
    if notes:
        drift += ("\n\n" if fmt == "markdown" else "\n") + "\n".join(notes)
    if result is None:
        return drift
    if fmt == "markdown":
        lines = ["", "", "### Hazard gate", "", gate_headline(result), ""]
        lines += [
            f"- `{t.revision.id}` {escape(t.revision.message)}: {code(describe(t.op))}: "
            f"**{t.hazard.kind}** `{t.hazard.code}`: {escape(t.hazard.message)}"
            for t in result.tripped
        ]
    else:
        lines = ["", "", gate_headline(result)] + [f"  ! {t}" for t in result.tripped]
    return drift + "\n".join(lines)


def _gate_json(result: GateResult) -> dict:
    return {
        "fail_on": list(result.policy.fail_on),
        "scope": result.scope,
        "revisions": [r.id for r in result.revisions],
        "tripped": [
            {
                "revision": t.revision.id,
                "op": op_name(t.op),
                "summary": describe(t.op),
                **t.hazard.as_dict(),
            }
            for t in result.tripped
        ],
    }

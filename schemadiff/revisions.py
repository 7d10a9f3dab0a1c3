"""The folder of revision scripts and the graph they form: loading, targets, plans and listings.

Scripts are parsed with `ast`, never imported, so `history` and `heads` stay fast and run no user
code. Two kinds of edge join revisions. `down_revision` shapes the tree: children, heads, branch
and merge points. `depends_on` only orders: a revision *requires* its parents and its dependencies,
and upgrades, downgrades and the version table follow requirements.

The version table holds one row per applied head: the applied revisions that no other applied
revision requires. Ids in a `current` tuple are such rows.
"""

from __future__ import annotations

import ast
import heapq
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional, Sequence, Union

from .errors import SchemadiffError

_SCRIPT_FIELDS = ("revision", "down_revision", "branch_labels", "depends_on")
_RELATIVE = re.compile(r"^(?P<anchor>.*?)(?P<delta>[+-]\d+)$")
_CREATE_DATE = re.compile(r"^Create Date:[ \t]*(?P<date>.+?)[ \t]*$", re.MULTILINE)

# A target is either text to resolve ("head", "ae10+2", ...) or ids resolved already.
Target = Union[str, tuple[str, ...]]


@dataclass(frozen=True)
class Revision:
    """One script: `message` is the docstring's first line, `path` as found under the folder."""

    id: str
    down_revisions: tuple[str, ...]
    branch_labels: tuple[str, ...]
    depends_on: tuple[str, ...]
    message: str
    doc: str
    path: Path
    create_date: Optional[str] = None


def new_revision_id() -> str:
    return uuid.uuid4().hex[-12:]


# Loading


def load_revisions(*versions_dirs: Path, known: Callable[[bytes], bool] = lambda source: False) -> RevisionMap:
    """Every revision script under the `versions_dirs`, subfolders included, as a checked graph.

    `known(source)` tells a script that was run whole before, unchanged since (the head snapshot
    has its hash), so its syntax is sound: only its header, where the revision fields are, is
    parsed. A script that creates a thousand tables takes a while to parse whole.
    """
    paths: dict[Path, Path] = {}
    for versions_dir in versions_dirs:
        if not versions_dir.is_dir():
            raise SchemadiffError(f"{versions_dir}: no such folder")
        # One folder may lie inside another: each script counts once.
        paths.update((path.resolve(), path) for path in _script_paths(versions_dir))
    return RevisionMap(parse_script(path, known) for path in sorted(paths.values()))


def _script_paths(versions_dir: Path) -> list[Path]:
    # One rule skips __init__.py, private helpers, __pycache__ and hidden folders alike.
    return sorted(
        path
        for path in versions_dir.rglob("*.py")
        if not any(part.startswith(("_", ".")) for part in path.relative_to(versions_dir).parts)
    )


def parse_script(path: Path, known: Callable[[bytes], bool] = lambda source: False) -> Revision:
    source = _read(path)
    module = _parse_header(source, path) if known(source) else None
    values = _script_values(module, path) if module else {}
    if "revision" not in values:
        module = _parse_module(source, path)
        values = _script_values(module, path)
    if "revision" not in values:
        raise SchemadiffError(f"{path}: no revision id: expected a top-level `revision = '...'`")
    revision_id, line = values["revision"]
    if not isinstance(revision_id, str) or not revision_id:
        raise SchemadiffError(f"{path}: revision at line {line} must be a non-empty string")
    doc = ast.get_docstring(module) or ""
    date = _CREATE_DATE.search(doc)
    return Revision(
        id=revision_id,
        down_revisions=_id_tuple(values, "down_revision", path),
        branch_labels=_id_tuple(values, "branch_labels", path),
        depends_on=_id_tuple(values, "depends_on", path),
        message=doc.splitlines()[0].strip() if doc else "",
        doc=doc,
        path=path,
        create_date=date["date"] if date else None,
    )


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SchemadiffError(f"{path}: cannot be read: {exc.strerror}") from None


# The first top-level function, class or decorator: the revision fields and docstring come before.
_BODY = re.compile(rb"^(?:def|async def|class|@)\b", re.MULTILINE)


def _parse_header(source: bytes, path: Path) -> Optional[ast.Module]:
    """The script up to its first function, parsed; None when that part does not parse alone."""
    body = _BODY.search(source)
    if body is None:
        return None
    try:
        return ast.parse(source[: body.start()], filename=str(path))
    except (SyntaxError, ValueError):
        return None


def _parse_module(source: bytes, path: Path) -> ast.Module:
    try:
        return ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise SchemadiffError(f"{path}: syntax error at line {exc.lineno}: {exc.msg}") from None
    except ValueError as exc:  # null bytes, before Python 3.12 made them a SyntaxError
        raise SchemadiffError(f"{path}: cannot be parsed: {exc}") from None


def _script_values(module: ast.Module, path: Path) -> dict[str, tuple[object, int]]:
    """The literal value and line of each top-level revision field the script assigns."""
    values = {}
    for statement in module.body:
        for name, node in _assignments(statement):
            if name in _SCRIPT_FIELDS:
                values[name] = (_literal(node, name, path), node.lineno)
    return values


def _assignments(statement: ast.stmt) -> Iterator[tuple[str, ast.expr]]:
    if isinstance(statement, ast.Assign):
        for target in statement.targets:
            if isinstance(target, ast.Name):
                yield target.id, statement.value
    elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
        if isinstance(statement.target, ast.Name):
            yield statement.target.id, statement.value


def _literal(node: ast.expr, name: str, path: Path) -> object:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError):
        raise SchemadiffError(f"{path}: {name} at line {node.lineno} is not a literal") from None


def _id_tuple(values: dict[str, tuple[object, int]], name: str, path: Path) -> tuple[str, ...]:
    value, line = values.get(name, (None, 0))
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, (tuple, list)) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise SchemadiffError(
        f"{path}: {name} at line {line} must be None, a string or a tuple of strings"
    )


# The graph


class RevisionMap:
    """The checked revision graph. Immutable; iterates in topological order, base first."""

    def __init__(self, revisions: Iterable[Revision]) -> None:
        self._by_id = _index_by_id(revisions)
        self._by_label = _index_by_label(self._by_id.values())
        self._requires = {rid: self._requirements(r) for rid, r in self._by_id.items()}
        self._required_by = _reverse(self._requires)
        self._children = _reverse({rid: r.down_revisions for rid, r in self._by_id.items()})
        self._order = _topological_order(self._requires, self._required_by)
        self._head_ids = tuple(rid for rid in sorted(self._by_id) if not self._children[rid])
        self._base_ids = tuple(
            rid for rid in sorted(self._by_id) if not self._by_id[rid].down_revisions
        )

    def _requirements(self, revision: Revision) -> tuple[str, ...]:
        for parent in revision.down_revisions:
            if parent not in self._by_id:
                raise SchemadiffError(
                    f"{revision.path}: down_revision names unknown revision '{parent}'"
                )
        dependencies = tuple(self._dependency_id(revision, name) for name in revision.depends_on)
        return tuple(dict.fromkeys(revision.down_revisions + dependencies))

    def _dependency_id(self, revision: Revision, name: str) -> str:
        # As in Alembic, depends_on may name a branch label instead of a revision.
        if name in self._by_id:
            return name
        if name in self._by_label:
            return self._by_label[name]
        raise SchemadiffError(f"{revision.path}: depends_on names unknown revision '{name}'")

    def __iter__(self) -> Iterator[Revision]:
        return (self._by_id[rid] for rid in self._order)

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, revision_id: object) -> bool:
        return revision_id in self._by_id

    def get(self, revision_id: str) -> Revision:
        if revision_id not in self._by_id:
            raise SchemadiffError(f"unknown revision '{revision_id}'")
        return self._by_id[revision_id]

    @property
    def heads(self) -> tuple[Revision, ...]:
        return tuple(self._by_id[rid] for rid in self._head_ids)

    @property
    def bases(self) -> tuple[Revision, ...]:
        return tuple(self._by_id[rid] for rid in self._base_ids)

    def children(self, revision_id: str) -> tuple[Revision, ...]:
        return tuple(self._by_id[rid] for rid in self._children[self.get(revision_id).id])

    def is_head(self, revision_id: str) -> bool:
        return not self.children(revision_id)

    def is_branch_point(self, revision_id: str) -> bool:
        return len(self.children(revision_id)) > 1

    def is_merge_point(self, revision_id: str) -> bool:
        return len(self.get(revision_id).down_revisions) > 1

    def walk(self, from_ids: Sequence[str], to_ids: Sequence[str]) -> list[Revision]:
        """What an upgrade from `from_ids` to `to_ids` applies, base first.

        Reversed, it is what the downgrade from `to_ids` back to `from_ids` undoes.
        """
        return self._in_order(
            self._applied(self._known(to_ids)) - self._applied(self._known(from_ids))
        )

    # Targets

    def resolve(self, target: str, current: Sequence[str] = ()) -> tuple[str, ...]:
        """The revision ids `target` names; () is base. `current` anchors "+N", "-N", "current"."""
        current = self._known(current)
        relative = _RELATIVE.match(target)
        if relative and target not in self._by_id and target not in self._by_label:
            anchor = relative["anchor"]
            origin = self._absolute(anchor, current) if anchor else current
            return self._count(origin, int(relative["delta"]), target)
        return self._absolute(target, current)

    def needs_current(self, text: str) -> bool:
        """Whether a target or range counts from the database's revision ("current", "-1", "current+2")."""
        for target in text.split(":"):
            relative = _RELATIVE.match(target)
            if relative and target not in self._by_id and target not in self._by_label:
                target = relative["anchor"] or "current"
            if target == "current" and target not in self._by_label:
                return True
        return False

    def resolve_range(
        self, text: str, current: Sequence[str] = ()
    ) -> tuple[Optional[tuple[str, ...]], Optional[tuple[str, ...]]]:
        """Both sides of "start:end", each resolved against `current`; an empty side is None."""
        start_text, colon, end_text = text.partition(":")
        if not colon:
            raise SchemadiffError(
                f"'{text}' is not a range: write start:end (either side may be empty)"
            )
        start = self.resolve(start_text, current) if start_text else None
        end = self.resolve(end_text, current) if end_text else None
        return start, end

    def _absolute(self, text: str, current: tuple[str, ...]) -> tuple[str, ...]:
        if text == "base":
            return ()
        if text == "heads":
            return self._head_ids
        if text == "head":
            return self._single_head(self._head_ids)
        if text == "current":
            return current
        if text in self._by_id:
            return (text,)
        if text in self._by_label:
            return (self._by_label[text],)
        branch, at, where = text.rpartition("@")
        if at:
            return self._branch_head(branch, where)
        return (self._by_prefix(text),)

    def _single_head(self, head_ids: tuple[str, ...], branch: str = "") -> tuple[str, ...]:
        if len(head_ids) > 1:
            on_branch = f" on branch '{branch}'" if branch else ""
            raise SchemadiffError(
                f"several heads{on_branch} ({', '.join(head_ids)}): "
                "name one, use `heads`, or merge them"
            )
        return head_ids

    def _branch_head(self, branch: str, where: str) -> tuple[str, ...]:
        if where != "head":
            raise SchemadiffError(f"'{branch}@{where}' is not supported: use {branch}@head")
        if branch in self._by_label:
            start = self._by_label[branch]
        elif any(rid.startswith(branch) for rid in self._by_id):
            start = self._by_prefix(branch)
        else:
            raise SchemadiffError(f"unknown branch '{branch}'")
        reachable = _closure((start,), self._children)
        return self._single_head(tuple(rid for rid in self._head_ids if rid in reachable), branch)

    def _by_prefix(self, text: str) -> str:
        matches = sorted(rid for rid in self._by_id if rid.startswith(text))
        if not text or not matches:
            raise SchemadiffError(f"unknown revision '{text}'")
        if len(matches) > 1:
            raise SchemadiffError(f"'{text}' is ambiguous: {', '.join(matches)}")
        return matches[0]

    def _count(self, origin: tuple[str, ...], delta: int, text: str) -> tuple[str, ...]:
        if len(origin) > 1:
            raise SchemadiffError(
                f"'{text}' is ambiguous: it counts from several revisions ({', '.join(origin)}); "
                f"name one, e.g. {origin[0]}{delta:+d}"
            )
        start = origin[0] if origin else None
        if delta < 0:
            return self._count_down(start, -delta, text)
        return self._count_up(start, delta, text)

    def _count_up(self, start: Optional[str], steps: int, text: str) -> tuple[str, ...]:
        revision_id = start
        for _ in range(steps):
            following = self._children[revision_id] if revision_id else self._base_ids
            if not following:
                where = f"{revision_id} is a head" if revision_id else "there are no revisions"
                raise SchemadiffError(f"'{text}' goes beyond head: {where}")
            if len(following) > 1:
                where = (
                    f"{revision_id} branches into" if revision_id else "there are several bases:"
                )
                raise SchemadiffError(f"'{text}' is ambiguous: {where} {', '.join(following)}")
            revision_id = following[0]
        return (revision_id,) if revision_id else ()

    def _count_down(self, start: Optional[str], steps: int, text: str) -> tuple[str, ...]:
        landing = (start,) if start else ()
        for _ in range(steps):
            if not landing:
                raise SchemadiffError(f"'{text}' goes beyond base")
            if len(landing) > 1:
                raise SchemadiffError(
                    f"'{text}' is ambiguous: it passes a merge of {', '.join(landing)}; "
                    "name the target"
                )
            landing = self._by_id[landing[0]].down_revisions
        return landing

    # Plans

    def upgrade_path(self, current: Sequence[str], target: Target) -> list[Revision]:
        """The revisions to apply, base first, each parent before its children, each once."""
        current = self._known(current)
        targets = self._target_ids(target, current)
        applied = self._applied(current)
        if any(self._is_behind(t, applied) for t in targets) or (current and not targets):
            raise SchemadiffError(
                f"target {_describe(targets)} is not ahead of the current revision {_describe(current)}"
            )
        return self.walk(current, targets)

    def downgrade_path(self, current: Sequence[str], target: Target) -> list[Revision]:
        """The applied revisions that come after the target, newest first; base undoes all."""
        current = self._known(current)
        targets = self._target_ids(target, current)
        applied = self._applied(current)
        if not applied.issuperset(targets):
            raise SchemadiffError(
                f"target {_describe(targets)} is not behind the current revision {_describe(current)}"
            )
        undone = applied - self._applied(targets)
        if targets:
            undone &= _closure(targets, self._required_by)
        return self._in_order(undone)[::-1]

    def heads_after_upgrade(self, current: Sequence[str], revision: Revision) -> tuple[str, ...]:
        """The version rows once `revision` is applied: it replaces the rows it requires."""
        current = self._known(current)
        applied = self._applied(current)
        requires = self._requires[self.get(revision.id).id]
        if revision.id in applied:
            raise SchemadiffError(f"cannot apply {revision.id}: it is applied already")
        missing = [rid for rid in requires if rid not in applied]
        if missing:
            raise SchemadiffError(
                f"cannot apply {revision.id}: {', '.join(missing)} not applied yet"
            )
        return tuple(sorted(set(current).difference(requires) | {revision.id}))

    def heads_after_downgrade(self, current: Sequence[str], revision: Revision) -> tuple[str, ...]:
        """The version rows once `revision` is undone: what it required, unless still required."""
        current = self._known(current)
        if revision.id not in current:
            raise SchemadiffError(
                f"cannot undo {revision.id}: it is not a current head ({_describe(current)})"
            )
        remaining = self._applied(current) - {revision.id}
        freed = {
            rid
            for rid in self._requires[revision.id]
            if remaining.isdisjoint(self._required_by[rid])
        }
        return tuple(sorted(set(current) - {revision.id} | freed))

    def history(self, range: Optional[str] = None, current: Sequence[str] = ()) -> list[Revision]:
        """Revisions newest first; `range` "start:end" keeps those between, both included."""
        if range is None:
            return list(self)[::-1]
        start, end = self.resolve_range(range, current)
        chosen = set(self._by_id) if end is None else self._applied(end)
        if start:
            chosen &= _closure(start, self._required_by)
        return self._in_order(chosen)[::-1]

    def _is_behind(self, revision_id: str, applied: set[str]) -> bool:
        # Only an applied child puts a revision behind: a head that an applied revision merely
        # depends on has no version row of its own, yet `upgrade heads` must accept it.
        return revision_id in applied and not applied.isdisjoint(self._children[revision_id])

    def _target_ids(self, target: Target, current: tuple[str, ...]) -> tuple[str, ...]:
        return self.resolve(target, current) if isinstance(target, str) else self._known(target)

    def _known(self, revision_ids: Sequence[str]) -> tuple[str, ...]:
        for rid in revision_ids:
            if rid not in self._by_id:
                raise SchemadiffError(f"revision '{rid}' is not in the versions folder")
        return tuple(revision_ids)

    def _applied(self, head_ids: Iterable[str]) -> set[str]:
        return _closure(head_ids, self._requires)

    def _in_order(self, revision_ids: set[str]) -> list[Revision]:
        return [self._by_id[rid] for rid in self._order if rid in revision_ids]


def _index_by_id(revisions: Iterable[Revision]) -> dict[str, Revision]:
    by_id: dict[str, Revision] = {}
    for revision in revisions:
        if revision.id in by_id:
            raise SchemadiffError(
                f"duplicate revision id '{revision.id}': {by_id[revision.id].path} and {revision.path}"
            )
        by_id[revision.id] = revision
    return by_id


def _index_by_label(revisions: Iterable[Revision]) -> dict[str, str]:
    owners: dict[str, Revision] = {}
    for revision in revisions:
        for label in revision.branch_labels:
            if label in owners:
                raise SchemadiffError(
                    f"branch label '{label}' is used twice: {owners[label].path} and {revision.path}"
                )
            owners[label] = revision
    return {label: revision.id for label, revision in owners.items()}


def _reverse(edges: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    reversed_edges: dict[str, list[str]] = {rid: [] for rid in edges}
    for rid, targets in edges.items():
        for target in targets:
            reversed_edges[target].append(rid)
    return {rid: tuple(sorted(sources)) for rid, sources in reversed_edges.items()}


def _closure(start: Iterable[str], edges: dict[str, tuple[str, ...]]) -> set[str]:
    """`start` and everything reachable from it along `edges`."""
    seen: set[str] = set()
    pending = list(start)
    while pending:
        rid = pending.pop()
        if rid not in seen:
            seen.add(rid)
            pending.extend(edges[rid])
    return seen


def _topological_order(
    requires: dict[str, tuple[str, ...]], required_by: dict[str, tuple[str, ...]]
) -> list[str]:
    """Kahn's algorithm; the smallest ready id goes first, so the order is deterministic."""
    waiting = {rid: len(required) for rid, required in requires.items()}
    ready = sorted(rid for rid, count in waiting.items() if count == 0)
    order = []
    while ready:
        rid = heapq.heappop(ready)
        order.append(rid)
        for dependent in required_by[rid]:
            waiting[dependent] -= 1
            if not waiting[dependent]:
                heapq.heappush(ready, dependent)
    if len(order) < len(requires):
        cycle = _find_cycle(requires, set(requires).difference(order))
        raise SchemadiffError(f"revision cycle: {' -> '.join(cycle)}")
    return order


def _find_cycle(requires: dict[str, tuple[str, ...]], stuck: set[str]) -> list[str]:
    """One cycle among revisions Kahn's algorithm could not order, closed, parents first."""
    # Each stuck revision requires another stuck one, so following requirements must loop.
    path: list[str] = []
    position: dict[str, int] = {}
    rid = min(stuck)
    while rid not in position:
        position[rid] = len(path)
        path.append(rid)
        rid = min(required for required in requires[rid] if required in stuck)
    cycle = path[position[rid] :][::-1]
    first = cycle.index(min(cycle))
    cycle = cycle[first:] + cycle[:first]
    return cycle + [cycle[0]]


def _describe(revision_ids: Sequence[str]) -> str:
    return ", ".join(revision_ids) if revision_ids else "base"


# Listings


def history_line(revisions: RevisionMap, revision: Revision, current: Sequence[str] = ()) -> str:
    """One line of `history`: `d6695a405895 -> fb6192cd49e8 (head), add username constraint`."""
    dependencies = f" ({', '.join(revision.depends_on)})" if revision.depends_on else ""
    line = f"{_parents(revision)}{dependencies} -> {short_line(revisions, revision, current)}"
    return f"{line}, {revision.message}" if revision.message else line


def short_line(revisions: RevisionMap, revision: Revision, current: Sequence[str] = ()) -> str:
    """The id with its branch labels and markers, as `heads` and `current` list it."""
    labels = f" ({', '.join(revision.branch_labels)})" if revision.branch_labels else ""
    return f"{revision.id}{labels}{_markers(revisions, revision, current)}"


def verbose_entry(revisions: RevisionMap, revision: Revision, current: Sequence[str] = ()) -> str:
    """A revision as `show` and `history --verbose` print it, docstring indented."""
    merge = revisions.is_merge_point(revision.id)
    lines = [
        f"Rev: {revision.id}{_markers(revisions, revision, current)}",
        f"{'Merges' if merge else 'Parent'}: {_parents(revision)}",
    ]
    if revision.depends_on:
        lines.append(f"Also depends on: {', '.join(revision.depends_on)}")
    if revisions.is_branch_point(revision.id):
        children = ", ".join(child.id for child in revisions.children(revision.id))
        lines.append(f"Branches into: {children}")
    if revision.branch_labels:
        lines.append(f"Branch names: {', '.join(revision.branch_labels)}")
    lines += [f"Path: {revision.path}", ""]
    lines += [f"    {line}".rstrip() for line in revision.doc.splitlines()]
    return "\n".join(lines)


def _parents(revision: Revision) -> str:
    return ", ".join(revision.down_revisions) if revision.down_revisions else "<base>"


def _markers(revisions: RevisionMap, revision: Revision, current: Sequence[str]) -> str:
    flags = (
        (revisions.is_head(revision.id), " (head)"),
        (revision.id in current, " (current)"),
        (revisions.is_branch_point(revision.id), " (branchpoint)"),
        (revisions.is_merge_point(revision.id), " (mergepoint)"),
    )
    return "".join(marker for applies, marker in flags if applies)

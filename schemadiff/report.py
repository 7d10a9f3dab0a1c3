"""Ops as people read them: one line per change, grouped by table, hazards under their change."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter
from itertools import groupby
from typing import Optional, Sequence

from . import ops as o
from . import snapshot as s
from .hazards import CLASSES, Hazard, assess

#: The hazards of each op, in the order of the ops (see hazards.assess).
Found = Sequence[tuple[Hazard, ...]]

NO_CHANGES = "No differences: the database matches the models."


def describe(op: o.Op) -> str:
    """One line, e.g. `+ column account.created_at DATETIME NOT NULL`."""
    return _DESCRIBE[type(op)](op)


def _column(c: s.Column) -> str:
    parts = [c.name, c.type]
    if not c.nullable:
        parts.append("NOT NULL")
    if c.default is not None:
        parts.append(f"DEFAULT {c.default}")
    if c.autoincrement:
        parts.append("AUTOINCREMENT")
    if c.identity:
        parts.append("GENERATED " + ("ALWAYS" if c.identity.always else "BY DEFAULT") + " AS IDENTITY")
    if c.computed:
        parts.append(f"GENERATED AS ({c.computed.sqltext})" + (" STORED" if c.computed.persisted else ""))
    if c.comment:
        parts.append(f"COMMENT {c.comment!r}")
    return " ".join(parts)


def _cols(names) -> str:
    return "(" + ", ".join(names) + ")"


def _constraint(table: str, c: s.Constraint) -> str:
    kind = o.CONSTRAINT_KINDS[type(c)]
    name = f" {c.name}" if c.name else ""
    if isinstance(c, s.CheckConstraint):
        return f"check{name} on {table} ({c.sqltext})"
    text = f"{kind}{name} on {table} {_cols(c.columns)}"
    if isinstance(c, s.ForeignKey):
        text += f" -> {o.qualified(c.ref_schema, c.ref_table)} {_cols(c.ref_columns)}"
        for label, action in (("ON DELETE", c.ondelete), ("ON UPDATE", c.onupdate)):
            text += f" {label} {action}" if action else ""
        text += f" DEFERRABLE INITIALLY {c.initially}" if c.deferrable else ""
    return text


def _index(table: str, i: s.Index) -> str:
    keys = []
    for e in i.elements:
        key = f"({e.text})" if e.expression else e.text
        key += " DESC" if e.descending else ""
        key += f" NULLS {e.nulls.upper()}" if e.nulls else ""
        keys.append(key)
    text = f"{'unique index' if i.unique else 'index'} {i.name} on {table} {_cols(keys)}"
    text += f" WHERE {i.where}" if i.where else ""
    return text + "".join(f" {key}={value!r}" for key, value in i.keywords().items())


def _alter(op: o.AlterColumn) -> str:
    old, new = op.existing, op.new
    if op.changes == ("name",):
        return f"~ column {op.target}.{old.name} renamed to {new.name}"
    shown = {
        "name": lambda c: c.name,
        "type": lambda c: c.type,
        "nullable": lambda c: "NULL" if c.nullable else "NOT NULL",
        "default": lambda c: c.default if c.default is not None else "no default",
        "comment": lambda c: repr(c.comment) if c.comment else "no comment",
        "autoincrement": lambda c: "autoincrement" if c.autoincrement else "no autoincrement",
        "identity": lambda c: _identity(c.identity),
    }
    changes = [f"{field} {shown[field](old)} -> {shown[field](new)}" for field in op.changes if field in shown]
    return f"~ column {op.target}.{old.name}: " + "; ".join(changes)


def _identity(identity: Optional[s.Identity]) -> str:
    if identity is None:
        return "no identity"
    kind = "ALWAYS" if identity.always else "BY DEFAULT"
    return f"identity {kind} (start {identity.start or 1}, increment {identity.increment or 1})"


def _enum_values(e: s.Enum) -> str:
    return "(" + ", ".join(repr(v) for v in e.values) + ")"


def _domain(d: s.Domain) -> str:
    parts = [d.type] + ([] if d.nullable else ["NOT NULL"])
    parts += [] if d.default is None else [f"DEFAULT {d.default}"]
    parts += [f"CHECK {c.name} ({c.sqltext})" for c in d.checks]
    return " ".join(parts)


def _alter_domain(op: o.AlterDomain) -> str:
    return f"~ domain {op.target}: {_domain(op.existing)} -> {_domain(op.new)}"


def _table(sign: str, op) -> str:
    t = op.table
    counts = [
        (len(t.indexes), "index", "indexes"),
        (len(t.uniques), "unique", "uniques"),
        (len(t.checks), "check", "checks"),
        (len(t.foreign_keys), "foreign key", "foreign keys"),
    ]
    extras = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)
    return f"{sign} table {op.target} {_cols(c.name for c in t.columns)}" + (f" with {extras}" if extras else "")


_DESCRIBE = {
    o.CreateTable: lambda op: _table("+", op),
    o.DropTable: lambda op: _table("-", op),
    o.RenameTable: lambda op: f"~ table {op.target} renamed to {op.new_name}",
    o.SetTableComment: lambda op: f"~ comment on table {op.target}: {op.existing_comment!r} -> {op.comment!r}",
    o.AddColumn: lambda op: f"+ column {op.target}.{_column(op.column)}",
    o.DropColumn: lambda op: f"- column {op.target}.{_column(op.column)}",
    o.AlterColumn: _alter,
    o.CreateIndex: lambda op: "+ " + _index(op.target, op.index),
    o.DropIndex: lambda op: "- " + _index(op.target, op.index),
    o.RenameIndex: lambda op: f"~ index {op.old_name} on {op.target} renamed to {op.new_name}",
    o.AddConstraint: lambda op: "+ " + _constraint(op.target, op.constraint),
    o.DropConstraint: lambda op: "- " + _constraint(op.target, op.constraint),
    o.RenameConstraint: lambda op: f"~ constraint {op.old_name} on {op.target} renamed to {op.new_name}",
    o.CreateEnum: lambda op: f"+ enum {op.target} {_enum_values(op.enum)}",
    o.DropEnum: lambda op: f"- enum {op.target} {_enum_values(op.enum)}",
    o.AlterEnum: lambda op: f"~ enum {op.target}: {_enum_values(op.existing)} -> {_enum_values(op.new)}",
    o.CreateDomain: lambda op: f"+ domain {op.target} {_domain(op.domain)}",
    o.DropDomain: lambda op: f"- domain {op.target} {_domain(op.domain)}",
    o.AlterDomain: _alter_domain,
    o.Execute: lambda op: "~ sql: " + " ".join(op.sql.split())[:80],
}

_KINDS = {
    o.CreateEnum: "enum",
    o.DropEnum: "enum",
    o.AlterEnum: "enum",
    o.CreateDomain: "domain",
    o.DropDomain: "domain",
    o.AlterDomain: "domain",
}


def _group(op: o.Op) -> str:
    return f"{_KINDS.get(type(op), 'table')} {op.target}"


def _pairs(ops: Sequence[o.Op], found: Optional[Found]) -> list[tuple[o.Op, tuple[Hazard, ...]]]:
    """Each op with its hazards; without `found`, the hazards that every dialect shares."""
    return list(zip(ops, assess(ops) if found is None else found))


def _grouped(pairs):
    return groupby(sorted(pairs, key=lambda pair: _group(pair[0])), key=lambda pair: _group(pair[0]))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _changes_in(ops: Sequence[o.Op]) -> str:
    """E.g. `3 changes in 2 tables and 1 enum`."""
    groups = {_group(op) for op in ops}
    tables = sum(g.startswith("table ") for g in groups)
    places = [_plural(tables, "table")] if tables else []
    for kind in ("enum", "domain"):
        count = sum(g.startswith(kind + " ") for g in groups)
        places += [_plural(count, kind)] if count else []
    return _plural(len(ops), "change") + (f" in {' and '.join(places)}" if places else "")


def summary(ops: Sequence[o.Op], found: Optional[Found] = None) -> str:
    """E.g. `3 changes in 2 tables, 2 hazards (1 data-loss, 1 locking)`."""
    return _changes_in(ops) + hazard_counts([h for _, hs in _pairs(ops, found) for h in hs])


def hazard_counts(hazards: Sequence[Hazard]) -> str:
    """`, 2 hazards (1 data-loss, 1 locking)`, or nothing when there are none."""
    if not hazards:
        return ""
    counts = class_counts(hazards)
    per_class = ", ".join(f"{n} {c}" for c, n in counts.items() if n)
    return f", {_plural(len(hazards), 'hazard')} ({per_class})"


def class_counts(hazards: Sequence[Hazard]) -> dict[str, int]:
    """How many of `hazards` each class has, every class named, in the order of CLASSES."""
    counts = Counter(h.kind for h in hazards)
    return {c: counts[c] for c in CLASSES}


def as_text(ops: Sequence[o.Op], found: Optional[Found] = None, clean: str = NO_CHANGES) -> str:
    if not ops:
        return clean
    lines = []
    for group, members in _grouped(_pairs(ops, found)):
        lines.append(f"{group}:")
        for op, hazards in members:
            lines.append(f"  {describe(op)}")
            lines += [f"    ! {h}" for h in hazards]
    lines.append(summary(ops, found))
    return "\n".join(lines)


def as_markdown(
    ops: Sequence[o.Op], found: Optional[Found] = None, clean: str = NO_CHANGES
) -> str:
    """The summary line first, then the hazards, then the changes grouped by table."""
    if not ops:
        return clean
    items = [(op, hazards, "") for op, hazards in _pairs(ops, found)]
    return "\n".join([markdown_headline(items), "", *markdown_body(items)]).rstrip("\n")


#: An op, its hazards and a note that follows it in markdown (such as the revision it is in).
Item = tuple[o.Op, tuple[Hazard, ...], str]


def markdown_headline(items: Sequence[Item]) -> str:
    """E.g. `**3 changes in 2 tables**; hazards: 1 data-loss, 0 table-rewrite, 0 locking, 0 may-fail`:
    every class is counted, so that a reviewer sees the zeros too."""
    counts = class_counts([h for _, hazards, _ in items for h in hazards])
    per_class = ", ".join(f"{n} {c}" for c, n in counts.items())
    return f"**{escape(_changes_in([op for op, _, _ in items]))}**; hazards: {per_class}"


def markdown_body(items: Sequence[Item]) -> list[str]:
    """Markdown lines: the hazards, worst class first, then the changes grouped by table."""
    lines = []
    rank = {c: i for i, c in enumerate(CLASSES)}
    hazards = sorted(
        ((h, note) for _, hs, note in items for h in hs), key=lambda pair: rank[pair[0].kind]
    )
    if hazards:
        lines += ["### Hazards", ""]
        lines += [
            f"- **{h.kind}** {code(h.code)}{_note(note)}: {escape(h.message)}"
            for h, note in hazards
        ]
        lines.append("")
    by_group = sorted(items, key=lambda item: _group(item[0]))
    for group, members in groupby(by_group, key=lambda item: _group(item[0])):
        lines += [f"### {escape(group)}", ""]
        lines += [f"- {code(describe(op))}{_note(note)}" for op, _, note in members]
        lines.append("")
    return lines


def _note(note: str) -> str:
    return f" ({escape(note)})" if note else ""


def code(text: str) -> str:
    """`text` as a markdown code span, whatever backticks it holds."""
    fence = "`" * (max((len(run) for run in re.findall("`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


# `_` inside a word never emphasizes (CommonMark), so names such as uq_book_isbn stay readable.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*\[\]<>|~#&]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9]))")


def escape(text: str) -> str:
    """`text` as markdown that renders it literally (defaults hold `*` or `<`, names `_`)."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def op_name(op: o.Op) -> str:
    """CreateTable -> create_table."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", type(op).__name__).lower()


def _detail(op: o.Op) -> dict:
    # Fields left out of comparison (Execute.statement, a SQLAlchemy object) are not the op's data.
    hidden = {f.name: f.default for f in dataclasses.fields(op) if not f.compare}
    detail = dataclasses.asdict(dataclasses.replace(op, **hidden))
    for name in hidden:
        del detail[name]
    if isinstance(op, (o.AddConstraint, o.DropConstraint)):
        detail["constraint"]["kind"] = o.CONSTRAINT_KINDS[type(op.constraint)]
    return detail


def json_changes(ops: Sequence[o.Op], found: Optional[Found] = None) -> list[dict]:
    return [
        {
            "op": op_name(op),
            "object": _group(op),
            "summary": describe(op),
            "hazards": [h.as_dict() for h in hazards],
            "detail": _detail(op),
        }
        for op, hazards in _pairs(ops, found)
    ]


def as_json(ops: Sequence[o.Op], found: Optional[Found] = None) -> str:
    text = summary(ops, found) if ops else NO_CHANGES
    return json.dumps({"changes": json_changes(ops, found), "summary": text}, indent=2)


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}


def render_report(ops: Sequence[o.Op], fmt: Optional[str] = "text", found: Optional[Found] = None) -> str:
    return FORMATS[fmt or "text"](ops, found)

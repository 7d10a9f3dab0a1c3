"""Ops as people read them: one line per change, grouped by table, hazards under their change."""

from __future__ import annotations

import dataclasses
import json
import re
from itertools import groupby
from typing import Optional

from . import ops as o
from . import snapshot as s
from .hazards import hazards

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
    return text + (f" WHERE {i.where}" if i.where else "")


def _alter(op: o.AlterColumn) -> str:
    old, new = op.existing, op.new
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
    o.AddConstraint: lambda op: "+ " + _constraint(op.target, op.constraint),
    o.DropConstraint: lambda op: "- " + _constraint(op.target, op.constraint),
    o.CreateEnum: lambda op: f"+ enum {op.target} {_enum_values(op.enum)}",
    o.DropEnum: lambda op: f"- enum {op.target} {_enum_values(op.enum)}",
    o.AlterEnum: lambda op: f"~ enum {op.target}: {_enum_values(op.existing)} -> {_enum_values(op.new)}",
    o.Execute: lambda op: "~ sql: " + " ".join(op.sql.split())[:80],
}


def _group(op: o.Op) -> str:
    kind = "enum" if isinstance(op, (o.CreateEnum, o.DropEnum, o.AlterEnum)) else "table"
    return f"{kind} {op.target}"


def _grouped(ops: list[o.Op]):
    return groupby(sorted(ops, key=_group), key=_group)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def summary(ops: list[o.Op]) -> str:
    groups = {_group(op) for op in ops}
    tables = sum(g.startswith("table ") for g in groups)
    places = [_plural(tables, "table")] if tables else []
    places += [_plural(len(groups) - tables, "enum")] if len(groups) > tables else []
    danger = sum(len(hazards(op)) for op in ops)
    text = f"{_plural(len(ops), 'change')} in {' and '.join(places)}"
    return text + (f", {_plural(danger, 'hazard')}" if danger else "")


def as_text(ops: list[o.Op], clean: str = NO_CHANGES) -> str:
    if not ops:
        return clean
    lines = []
    for group, members in _grouped(ops):
        lines.append(f"{group}:")
        for op in members:
            lines.append(f"  {describe(op)}")
            lines += [f"    ! {h}" for h in hazards(op)]
    lines.append(summary(ops))
    return "\n".join(lines)


def as_markdown(ops: list[o.Op]) -> str:
    if not ops:
        return NO_CHANGES
    lines = []
    for group, members in _grouped(ops):
        lines += ["", f"### {group}", ""]
        for op in members:
            lines.append(f"- `{describe(op)}`")
            lines += [f"  - **{h.kind}**: {h.message}" for h in hazards(op)]
    lines += ["", summary(ops)]
    return "\n".join(lines).lstrip("\n")


def op_name(op: o.Op) -> str:
    """CreateTable -> create_table."""
    return re.sub(r"(?<!^)([A-Z])", r"_\1", type(op).__name__).lower()


def _detail(op: o.Op) -> dict:
    detail = dataclasses.asdict(op)
    if isinstance(op, (o.AddConstraint, o.DropConstraint)):
        detail["constraint"]["kind"] = o.CONSTRAINT_KINDS[type(op.constraint)]
    return detail


def as_json(ops: list[o.Op]) -> str:
    changes = [
        {
            "op": op_name(op),
            "object": _group(op),
            "summary": describe(op),
            "hazards": [dataclasses.asdict(h) for h in hazards(op)],
            "detail": _detail(op),
        }
        for op in ops
    ]
    return json.dumps({"changes": changes, "summary": summary(ops) if ops else NO_CHANGES}, indent=2)


FORMATS = {"text": as_text, "markdown": as_markdown, "json": as_json}


def render_report(ops: list[o.Op], fmt: Optional[str] = "text") -> str:
    return FORMATS[fmt or "text"](ops)

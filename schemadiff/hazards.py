"""What an op can break: data it drops, values it cannot keep, rows that make it fail."""

from __future__ import annotations

import re
from typing import Optional

from . import ops as o
from .ops import Hazard, qualified

# Integer types from narrowest to widest; a move to a lower rank narrows.
_INTEGER_RANK = {"TINYINT": 0, "SMALLINT": 1, "MEDIUMINT": 2, "INT": 3, "INTEGER": 3, "BIGINT": 4}
_TYPE = re.compile(r"^([A-Z ]+?)\s*(?:\(([\d\s,]+)\))?(?:\s+(.*))?$")


def hazards(op: o.Op) -> list[Hazard]:
    if isinstance(op, o.DropTable):
        return [Hazard("data-loss", f"drops table {op.table.fullname} and all its rows")]
    if isinstance(op, o.DropColumn):
        return [Hazard("data-loss", f"drops column {_col(op, op.column.name)} and its data")]
    if isinstance(op, o.AddColumn):
        return _add_column(op)
    if isinstance(op, o.AlterColumn):
        return _alter_column(op)
    if isinstance(op, o.AlterEnum):
        gone = [v for v in op.existing.values if v not in op.new.values]
        if gone:
            values = ", ".join(repr(v) for v in gone)
            return [Hazard("data-loss", f"removes {values} from enum {op.new.fullname}: rows that hold them block it")]
    if isinstance(op, o.AlterDomain):
        return _alter_domain(op)
    return []


def _alter_domain(op: o.AlterDomain) -> list[Hazard]:
    old, new, name = op.existing, op.new, op.new.fullname
    result = []
    if old.type != new.type:
        result.append(Hazard("rewrite", f"changes domain {name} from {old.type} to {new.type}: every column of it is converted"))
    if old.nullable and not new.nullable:
        result.append(Hazard("may-fail", f"makes domain {name} NOT NULL: fails if any column of it holds NULL"))
    if any(c not in old.checks for c in new.checks):
        result.append(Hazard("may-fail", f"adds a check to domain {name}: fails if a stored value breaks it"))
    return result


def _col(op, name: str) -> str:
    return f"{qualified(op.schema, op.table_name)}.{name}"


def _add_column(op: o.AddColumn) -> list[Hazard]:
    c = op.column
    if c.nullable or c.default or c.autoincrement or c.identity or c.computed:
        return []
    return [Hazard("may-fail", f"adds NOT NULL column {_col(op, c.name)} without a default: fails if the table has rows")]


def _alter_column(op: o.AlterColumn) -> list[Hazard]:
    old, new, name = op.existing, op.new, _col(op, op.new.name)
    result = []
    if old.type != new.type:
        if narrows(old.type, new.type):
            result.append(Hazard("data-loss", f"narrows {name} from {old.type} to {new.type}: values that do not fit are cut or rejected"))
        elif not widens(old.type, new.type):
            result.append(Hazard("rewrite", f"changes {name} from {old.type} to {new.type}: needs a cast and may rewrite the table"))
    if old.nullable and not new.nullable:
        result.append(Hazard("may-fail", f"makes {name} NOT NULL: fails if any row holds NULL"))
    if old.default is not None and new.default is None and not new.nullable:
        result.append(Hazard("may-fail", f"drops the default of NOT NULL column {name}: inserts that omit it will fail"))
    return result


def _parse(type_: str) -> Optional[tuple[str, tuple[int, ...], str]]:
    m = _TYPE.match(type_)
    if not m:
        return None
    args = tuple(int(a) for a in (m.group(2) or "").replace(" ", "").split(",") if a)
    return m.group(1).strip(), args, m.group(3) or ""


def _compare_sizes(old: str, new: str) -> Optional[int]:
    """-1 when `new` holds less than `old`, 1 when more, 0 when the same; None when unrelated."""
    a, b = _parse(old), _parse(new)
    if a is None or b is None or a[2] != b[2]:
        return None
    if a[0] in _INTEGER_RANK and b[0] in _INTEGER_RANK and not a[1] and not b[1]:
        rank_a, rank_b = _INTEGER_RANK[a[0]], _INTEGER_RANK[b[0]]
        return (rank_b > rank_a) - (rank_b < rank_a)
    if a[0] != b[0] or len(a[1]) != len(b[1]) or not a[1]:
        return None
    pairs = list(zip(_capacity(a[1]), _capacity(b[1])))
    if all(y >= x for x, y in pairs):
        return 1
    return -1  # smaller in some respect, e.g. NUMERIC(10, 2) -> NUMERIC(12, 1) loses scale


def _capacity(args: tuple[int, ...]) -> tuple[int, ...]:
    """Sizes that must not shrink: for (precision, scale), the digits before and after the point."""
    return (args[0] - args[1], args[1]) if len(args) == 2 else args


def narrows(old: str, new: str) -> bool:
    return _compare_sizes(old, new) == -1


def widens(old: str, new: str) -> bool:
    return _compare_sizes(old, new) == 1

"""Rendered scripts: golden files, black-clean, byte-stable, and faithful to their ops."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from golden_render import SA_DIALECTS, golden_cases, golden_path, render_golden
from schemadiff import snapshot_metadata
from schemadiff.compare import compare
from schemadiff import ops as o
from schemadiff.dialects import for_sa_dialect
from schemadiff.render import ScriptInfo, format_source, render_script
from scripting import load_script, record
from strategies import build, schema_specs


@pytest.mark.parametrize("fixture,dialect", golden_cases())
def test_golden_script(fixture, dialect):
    source = render_golden(fixture, dialect)
    assert source == golden_path(fixture, dialect).read_text(), (
        "rendering changed: review it, then run `python tests/golden_render.py --write`"
    )
    assert format_source(source) == source


def test_rendering_does_not_depend_on_the_hash_seed():
    script = os.path.join(os.path.dirname(__file__), "golden_render.py")
    outputs = [
        subprocess.run(
            [sys.executable, script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "4242")
    ]
    assert outputs[0] == outputs[1]
    assert outputs[0].count("def upgrade() -> None:") == len(golden_cases())


@pytest.mark.parametrize("dialect_name", sorted(SA_DIALECTS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=schema_specs(), after=schema_specs(), seed=st.integers(0, 3))
def test_generated_ops_render_black_stable_and_replay_exactly(dialect_name, before, after, seed):
    dialect = for_sa_dialect(SA_DIALECTS[dialect_name])
    start = snapshot_metadata(build(before), dialect)
    target = snapshot_metadata(build(after), dialect)
    ops = compare(start, target)
    source = render_script(ops, ScriptInfo("generated", f"rev{seed}"), dialect)
    assert format_source(source) == source
    script = load_script(source)
    upgraded, state = record(script, "upgrade", dialect, start)
    assert upgraded == ops
    assert compare(state, target) == []
    downgraded, state = record(script, "downgrade", dialect, state)
    assert downgraded == o.reverse_all(ops)
    assert compare(state, start) == []

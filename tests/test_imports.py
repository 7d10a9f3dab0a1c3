"""What `import schemadiff` and the CLI's start cost, and that the public names are the functions."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys; print(' '.join(sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout
    return set(out.split())


def test_version_loads_neither_sqlalchemy_nor_black():
    modules = loaded_after(
        "import sys\nfrom schemadiff.cli import main\nsys.argv = ['schemadiff', '--version']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert "sqlalchemy" not in modules
    assert "black" not in modules
    assert "schemadiff.render" not in modules


def test_public_names_are_the_functions_whatever_was_imported_first():
    code = (
        "import schemadiff.compare, schemadiff.reflect, schemadiff.from_metadata\n"
        "from schemadiff import compare, reflect, snapshot_metadata, Snapshot, SchemadiffError\n"
        "assert callable(compare) and callable(reflect) and callable(snapshot_metadata)\n"
        "assert Snapshot.__name__ == 'Snapshot' and issubclass(SchemadiffError, Exception)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)

"""The layering rule: ``imgur_desktop.core`` and ``imgur_desktop.server`` never import PySide6.

Each check imports every module of the package in a fresh interpreter, so nothing the test run
itself imported (pytest-qt loads PySide6) can hide or fake the result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

PROBE = r"""
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
imported = [package.__name__]
def failed(name):
    raise ImportError(f"could not import {name}")
for info in pkgutil.walk_packages(package.__path__, package.__name__ + ".", onerror=failed):
    importlib.import_module(info.name)
    imported.append(info.name)
qt = sorted(m for m in sys.modules if m == "PySide6" or m.startswith("PySide6."))
print(json.dumps({"imported": imported, "qt": qt}))
"""


def probe(package: str, cwd: Path = ROOT) -> dict[str, list[str]]:
    result = subprocess.run([sys.executable, "-c", PROBE, package], cwd=cwd,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.parametrize(("package", "must_include"), [
    ("imgur_desktop.core", "imgur_desktop.core.formats"),
    ("imgur_desktop.server", "imgur_desktop.server.wire"),
])
def test_package_never_imports_pyside6(package: str, must_include: str) -> None:
    found = probe(package)
    # Every module on disk was imported (the walk really ran).
    on_disk = {
        package + "." + ".".join(p.relative_to(ROOT / package.replace(".", "/"))
                                 .with_suffix("").parts)
        for p in (ROOT / package.replace(".", "/")).rglob("*.py")
        if p.name != "__init__.py"
    }
    assert must_include in found["imported"]
    missing = on_disk - set(found["imported"])
    assert not missing, f"modules not imported by the walk: {sorted(missing)}"
    assert "PySide6" not in found["qt"], f"{package} pulls in {found['qt']}"
    assert found["qt"] == []


def test_the_probe_sees_pyside6_deep_in_a_package(tmp_path: Path) -> None:
    """Control: the same probe reports PySide6 when a nested module of a package imports it."""
    package = tmp_path / "qtpkg"
    (package / "inner").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "inner" / "__init__.py").write_text("")
    (package / "inner" / "window.py").write_text("import PySide6.QtCore\n")
    found = probe("qtpkg", cwd=tmp_path)
    assert "qtpkg.inner.window" in found["imported"]
    assert "PySide6" in found["qt"]

"""Architecture rules that a reviewer would otherwise check by hand."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "ncv_core"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit() -> None:
    code = (
        "import importlib, pkgutil, sys, ncv_core\n"
        "for m in pkgutil.walk_packages(ncv_core.__path__, 'ncv_core.'):\n"
        "    importlib.import_module(m.name)\n"
        "assert 'streamlit' not in sys.modules, 'streamlit was imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    offenders = [p for p in CORE.rglob("*.py") if "streamlit" in _imports(p)]
    assert offenders == []


def test_only_genome_touches_pyfaidx_and_only_tracks_touches_bigwig_readers() -> None:
    for lib, allowed in (
        ("pyfaidx", {"io/genome.py"}),
        ("pybigtools", {"io/bigwig.py"}),
        ("pyBigWig", set()),
    ):
        users = {p.relative_to(CORE).as_posix() for p in CORE.rglob("*.py") if lib in _imports(p)}
        assert users <= allowed, f"{lib} imported by {sorted(users - allowed)}"


def test_no_pickle_loading_in_core() -> None:
    for path in CORE.rglob("*.py"):
        text = path.read_text()
        assert "pickle" not in _imports(path), path
        assert "torch.load(" not in text or "weights_only=True" in text, path


def test_every_page_is_navigated_and_starts_inside_the_frame() -> None:
    """app.py lists every file of pages/, and each starts with frame.require (see ui/frame.py)."""
    app = (ROOT / "app.py").read_text()
    for page in sorted((ROOT / "pages").glob("*.py")):
        assert f'"pages/{page.name}"' in app, f"{page.name} is not in app.py's navigation"
        assert "\nframe.require(__file__)\n" in page.read_text(), f"{page.name} has no guard"

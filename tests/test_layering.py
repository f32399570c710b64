"""Architecture rules that a reviewer would otherwise check by hand (docs/ARCHITECTURE.md)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "ncv_core"

MAX_ROOT_MODULES = 12
IO_MAY_IMPORT = {"errors", "progress", "constants", "coords", "sequence", "rejections", "io"}
"""What ``ncv_core/io/`` builds on (first name under ``ncv_core``); ``io/model_folder.py`` also
builds the networks (``models``)."""

FILE_CALLS = {"open", "read_text", "write_text", "read_bytes", "write_bytes", "read_csv",
              "read_parquet", "to_csv", "to_parquet", "save", "savez", "load", "dump",
              "mkstemp", "mkdtemp", "TemporaryDirectory", "NamedTemporaryFile"}  # fmt: skip
"""Method and module calls that open files (``path.write_text``, ``np.save``, ``json.dump``);
``torch.load`` is the pickle rule's."""


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _module_files(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    files = {}
    for pkg in packages:
        for p in (root / pkg).rglob("*.py"):
            parts = list(p.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            files[".".join(parts)] = p
    return files


def import_graph(*packages: str, root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of ``packages`` it imports anywhere in the file (top level, inside
    functions, under ``TYPE_CHECKING``; relative imports resolved)."""
    files = _module_files(root, packages)
    graph = {}
    for name, path in files.items():
        out = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                out.update(a.name for a in node.names if a.name in files)
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = name.split(".")[: None if path.name == "__init__.py" else -1]
                    parts = parts[: len(parts) - node.level + 1]
                    base = ".".join([*parts, *([node.module] if node.module else [])])
                for a in node.names:
                    sub = f"{base}.{a.name}"
                    out.add(sub if sub in files else base)
        graph[name] = {m for m in out if m in files and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_in_the_core_or_the_ui() -> None:
    assert cycles(import_graph("ncv_core", "ui")) == []


def test_the_cycle_check_finds_a_deferred_cycle(tmp_path: Path) -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "x.py").write_text("def f():\n    from pkg.y import g\n")
    (pkg / "y.py").write_text(
        "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from . import x\n"
    )
    assert cycles(import_graph("pkg", root=tmp_path)) == [["pkg.x", "pkg.y"]]


def test_the_core_root_stays_small() -> None:
    modules = sorted(p.name for p in CORE.glob("*.py"))
    assert len(modules) <= MAX_ROOT_MODULES, modules


def test_io_builds_on_the_foundation_only() -> None:
    for path in (CORE / "io").rglob("*.py"):
        used = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ncv_core."):
                used.add(node.module.split(".")[1])
        allowed = IO_MAY_IMPORT | ({"models"} if path.name == "model_folder.py" else set())
        assert used <= allowed, f"{path.relative_to(ROOT)} imports ncv_core.{used - allowed}"


def _file_calls(path: Path, root: Path = ROOT) -> list[str]:
    hits = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name):  # a bare name: only the builtin (io's helpers are imported)
            name, owner, suspect = f.id, "", f.id == "open"
        elif isinstance(f, ast.Attribute):  # a method or module function: path.write_text, np.save
            name = f.attr
            owner = f.value.id if isinstance(f.value, ast.Name) else ""
            suspect = name in FILE_CALLS and owner != "torch"
        else:
            continue
        if suspect:
            hits.append(
                f"{path.relative_to(root)}:{node.lineno} {owner + '.' if owner else ''}{name}"
            )
    return hits


def test_only_io_opens_files() -> None:
    offenders = [
        hit
        for path in CORE.rglob("*.py")
        if "io" not in path.relative_to(CORE).parts[:1]
        for hit in _file_calls(path)
    ]
    assert offenders == []


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


@pytest.mark.parametrize(
    "lib, allowed",
    [("pyfaidx", {"io/genome.py"}), ("pybigtools", {"io/bigwig.py"}), ("pyBigWig", set())],
)
def test_one_module_per_file_library(lib: str, allowed: set[str]) -> None:
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


def test_the_file_rule_sees_files_being_opened(tmp_path: Path) -> None:
    src = tmp_path / "m.py"
    src.write_text(
        "import json, numpy as np\nfrom pathlib import Path\nfrom ncv_core.io.tables import write_text\n"
        "open('a')\nPath('b').write_text('x')\nnp.save('c', 1)\njson.dump({}, f)\n"
        "json.dumps({})\nwrite_text('ok', 'd')\n"
    )
    hits = [h.split(" ", 1)[1] for h in _file_calls(src, tmp_path)]
    assert hits == ["open", "write_text", "np.save", "json.dump"]

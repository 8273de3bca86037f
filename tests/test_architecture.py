"""The package's shape: one import package, no bare imports of its folders, no import cycles
between its packages."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"pressroom": "pressroom", "flows": "pressroom.flows"}
FOLDERS |= {"extractors": "pressroom.extractors", "schemas": "pressroom.schemas"}
"""Source folder -> the import name it is installed as (pyproject's ``package-dir``)."""
PACKAGE_NAMES = {
    ".".join(path.relative_to(ROOT).parts[:-1]).replace(folder, package, 1)
    for folder, package in FOLDERS.items()
    for path in (ROOT / folder).glob("*/__init__.py")
} | {package for package in FOLDERS.values() if package != "pressroom"}
"""pressroom's subpackages (``pressroom.dedup``, ``pressroom.flows``, ...)."""
BENCHMARK_MODULES = {"benchmarks"} | {p.stem for p in (ROOT / "benchmarks").glob("*.py")}
BARE = ("flows", "extractors", "schemas", "sources", "repair", "dedup", "dataset")


def modules() -> dict[str, Path]:
    """Every module of the installed package, by its import name."""
    found = {}
    for folder, package in FOLDERS.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            name = ".".join((package, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


def imported(path: Path) -> set[str]:
    """Module names ``path`` imports (anywhere in it: lazy imports count too)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def unit(module: str, packages: set[str]) -> str | None:
    """The node of the import graph a module belongs to: its subpackage of ``pressroom``
    (``pressroom.dedup``), or the module itself for a module of ``pressroom``'s own
    (``pressroom.cli``)."""
    parts = module.split(".")
    if parts[0] != "pressroom" or len(parts) < 2:
        return None
    package = ".".join(parts[:2])
    return package if package in packages else module if len(parts) == 2 else package


def import_graph() -> dict[str, set[str]]:
    found = modules()
    packages = {name for name, path in found.items() if path.name == "__init__.py"}
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        source = unit(name, packages)
        for target in filter(None, (unit(m, packages) for m in imported(path))):
            if target != source and any(m == target or m.startswith(target + ".") for m in found):
                graph.setdefault(source, set()).add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every simple cycle, each once (it starts at its smallest node)."""
    found = []

    def walk(start: str, node: str, path: list[str]) -> None:
        for following in sorted(graph.get(node, ())):
            if following == start:
                found.append([*path, start])
            elif following > start and following not in path:
                walk(start, following, [*path, following])

    for start in sorted(graph):
        walk(start, start, [start])
    return found


def test_no_import_cycle_between_packages():
    assert [" -> ".join(cycle) for cycle in cycles(import_graph())] == []


def test_no_import_cycle_even_with_pressrooms_own_modules_as_one_node():
    graph: dict[str, set[str]] = {}
    for source, targets in import_graph().items():
        top = source if source in PACKAGE_NAMES else "pressroom"
        graph.setdefault(top, set()).update(
            target if target in PACKAGE_NAMES else "pressroom" for target in targets
        )
    graph = {source: targets - {source} for source, targets in graph.items()}
    assert [" -> ".join(cycle) for cycle in cycles(graph)] == []


def test_the_command_line_is_on_top_and_only_it_starts_flows():
    graph = import_graph()
    assert not [source for source, targets in graph.items() if "pressroom.cli" in targets]
    starting = {source for source, targets in graph.items() if "pressroom.flows" in targets}
    assert starting == {"pressroom.cli"}


def test_no_bare_import_of_a_folder_remains():
    bare = [
        f"{path.relative_to(ROOT)}: {name}"
        for folder in (
            "pressroom",
            "flows",
            "extractors",
            "schemas",
            "tests",
            "benchmarks",
            "tools",
        )
        for path in (ROOT / folder).rglob("*.py")
        for name in imported(path)
        if name.split(".")[0] in BARE
    ]
    assert bare == []


def test_the_wheel_installs_pressroom_only(tmp_path):
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps"]  # setuptools as pyproject asks
    subprocess.run([*build, "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("pressroom-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (top_level,) = [n for n in names if n.endswith(".dist-info/top_level.txt")]
        assert archive.read(top_level).decode().split() == ["pressroom"]
    assert {name.split("/")[0] for name in names if ".dist-info/" not in name} == {"pressroom"}
    expected = {
        str(Path(*module.split(".")) / "__init__.py")
        if path.name == "__init__.py"
        else str(Path(*module.split("."))) + ".py"
        for module, path in modules().items()
    }
    assert expected - names == set()  # every module, under its import name
    assert "pressroom/repair/data/language_model.npz" in names


def test_every_imported_library_is_declared():
    declared = {
        re.split(r"[<>=!~;\[ ]", requirement)[0].lower().replace("_", "-")
        for requirement in metadata.requires("pressroom") or []
        if "extra ==" not in requirement
    }
    distributions = metadata.packages_distributions()
    undeclared = set()
    for path in modules().values():
        for name in imported(path):
            top = name.split(".")[0]
            if top == "pressroom" or top in sys.stdlib_module_names:
                continue
            provided = {d.lower().replace("_", "-") for d in distributions.get(top, [top])}
            if not provided & declared:
                undeclared.add(f"{top} ({path.relative_to(ROOT)})")
    assert sorted(undeclared) == []


def test_tests_do_not_import_benchmark_code():
    importing = [
        str(path.relative_to(ROOT))
        for path in (ROOT / "tests").rglob("*.py")
        if any(
            name.split(".")[0] in ("benchmarks", "real_spin", "spin_metrics")
            for name in imported(path)
        )
    ]
    assert importing == []

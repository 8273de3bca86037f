"""The package's shape in figures (issue 14): import cycles, the flow's size, and how often one
document's run crosses package boundaries.

- import cycles: an import graph from the source (``ast``; lazy imports count too) whose nodes
  are pressroom's subpackages (``flows``, ``extractors``, ``schemas``, ``sources``, ``web``,
  ``stages``, ``repair``, ``dedup``, ``dataset``, ``cli``, ``execution``) and either each
  module directly in ``pressroom/`` (what ``tests/test_architecture.py`` enforces) or all of
  them as one node ``pressroom`` (the issue's count); printed: simple cycles and mutual pairs;
- lines of ``flows/*.py``;
- boundary crossings: ``pressroom ingest`` of seed 004 (``--workers 1``) with a profile hook
  (``sitecustomize``, in every process, the sandbox children included) that counts calls whose
  caller and callee are first-party modules of different packages (same nodes, ``pressroom``'s own
  modules as one).

    .venv/bin/python benchmarks/architecture.py [--root DIR]   (about 40 s)

``--root`` measures another checkout (an older commit) with this checkout's virtual environment.
"""

from __future__ import annotations

import argparse
import ast
import collections
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.test_architecture import cycles  # noqa: E402  (one cycle finder: the test's)

PACKAGES = ("flows", "extractors", "schemas", "sources", "web", "stages", "repair", "dedup")
PACKAGES += ("dataset", "cli", "execution")

HOOK = """
import atexit, os, sys, threading
ROOT, OUT = os.environ["CROSS_ROOT"], os.environ["CROSS_OUT"]
PACKAGES = set(os.environ["CROSS_PACKAGES"].split(","))
counts, cache = {}, {}
def package(filename):
    if filename not in cache:
        parts = filename[len(ROOT):].lstrip("/").split("/") if filename.startswith(ROOT) else []
        if parts and parts[0] == "pressroom" and len(parts) > 2 and parts[1] in PACKAGES:
            cache[filename] = parts[1]
        elif parts and parts[0] in PACKAGES and ".venv" not in parts:
            cache[filename] = parts[0]
        elif parts and parts[0] == "pressroom":
            cache[filename] = "pressroom"
        else:
            cache[filename] = None
    return cache[filename]
def profile(frame, event, arg):
    if event != "call" or frame.f_back is None:
        return
    callee = package(frame.f_code.co_filename)
    caller = package(frame.f_back.f_code.co_filename) if callee else None
    if caller and caller != callee:
        counts[caller, callee] = counts.get((caller, callee), 0) + 1
def dump():
    with open(f"{OUT}/{os.getpid()}.json", "w") as handle:
        import json
        json.dump([[a, b, n] for (a, b), n in counts.items()], handle)
sys.setprofile(profile)
threading.setprofile(profile)
atexit.register(dump)
_exit = os._exit
def exit_and_dump(code):
    try:
        dump()
    finally:
        _exit(code)
os._exit = exit_and_dump
os.register_at_fork(after_in_child=lambda: (counts.clear(), sys.setprofile(profile)))
"""


def node(module: str, root: Path, one_node: bool) -> str | None:
    parts = module.split(".")
    if parts[0] == "pressroom":
        parts = parts[1:]
        if not parts:
            return None
        if parts[0] in PACKAGES:
            return parts[0]
        return "pressroom" if one_node else f"pressroom.{parts[0]}"
    return parts[0] if parts[0] in PACKAGES and (root / parts[0]).is_dir() else None


def import_graph(root: Path, one_node: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = collections.defaultdict(set)
    for path in root.glob("**/*.py"):
        rel = path.relative_to(root).parts
        if rel[0] not in ("pressroom", *PACKAGES) or ".venv" in rel or "build" in rel[:1]:
            continue
        module = ".".join(rel).removesuffix(".py")
        source = node(module if rel[0] == "pressroom" else f"pressroom.{module}", root, one_node)
        if rel[0] == "pressroom" and len(rel) == 2:
            source = "pressroom" if one_node else f"pressroom.{rel[1][:-3]}"
        for item in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(item, ast.Import):
                names = [alias.name for alias in item.names]
            elif isinstance(item, ast.ImportFrom) and item.level == 0 and item.module:
                names = [item.module] + [f"{item.module}.{alias.name}" for alias in item.names]
            for name in names:
                target = node(name, root, one_node)
                known = target in PACKAGES or target == "pressroom"
                known = known or bool(
                    target and (root / "pressroom" / f"{target[10:]}.py").exists()
                )
                if target and source and target != source and known:
                    graph[source].add(target)
    return graph


def crossings(root: Path) -> collections.Counter:
    """Calls across package boundaries during ``pressroom ingest`` of seed 004."""
    with tempfile.TemporaryDirectory(prefix="crossings-") as scratch:
        work = Path(scratch)
        (work / "hook").mkdir()
        (work / "hook" / "sitecustomize.py").write_text(HOOK)
        (work / "counts").mkdir()
        (work / "in").mkdir()
        (seed,) = (root / "data" / "samples").glob("004_*")
        (work / "in" / seed.name).write_bytes(seed.read_bytes())
        env = dict(
            os.environ,
            PYTHONPATH=f"{work / 'hook'}:{root}",
            CROSS_ROOT=str(root),
            CROSS_OUT=str(work / "counts"),
            CROSS_PACKAGES=",".join(PACKAGES),
            PREFECT_HOME=str(work / "prefect"),
        )
        command = [sys.executable, "-c", "from pressroom.cli import app; app()", "ingest"]
        command += [str(work / "in"), "--out", str(work / "out"), "--workers", "1"]
        subprocess.run(
            [*command, "--no-progress"], env=env, cwd=root, check=True, capture_output=True
        )
        counts: collections.Counter = collections.Counter()
        for file in (work / "counts").glob("*.json"):
            for caller, callee, number in json.loads(file.read_text()):
                counts[caller, callee] += number
        return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--root", type=Path, default=REPO_ROOT)
    root = parser.parse_args(argv).root.resolve()
    for label, one_node in (
        ("each module of pressroom/ a node", False),
        ("pressroom/ one node", True),
    ):
        graph = import_graph(root, one_node)
        found = cycles(graph)
        mutual = sum(1 for a in graph for b in graph[a] if a < b and a in graph.get(b, ()))
        print(f"import cycles ({label}): {len(found)} simple, {mutual} mutual pairs")
        for cycle in found[:10]:
            print(f"  {' -> '.join(cycle)}")
    for path in sorted((root / "flows").glob("*.py")):
        print(f"lines of flows/{path.name}: {len(path.read_text().splitlines())}")
    counts = crossings(root)
    print(f"boundary crossings, one document: {sum(counts.values())} calls, {len(counts)} pairs")
    for (caller, callee), number in counts.most_common(8):
        print(f"  {caller} -> {callee}: {number}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

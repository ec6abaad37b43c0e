"""The package's import graph, built from the source: no import cycles, and no stage
imports a later one (docs/architecture.md). Every import counts: module level, inside
functions (lazy) and under ``TYPE_CHECKING``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "omm_cx"

#: Stage of each top-level part of omm_cx, lowest first (docs/architecture.md). Parts of
#: one stage must not import each other, except within the base stage.
STAGES: dict[str, int] = {
    "": 0, "_lazy": 0, "choices": 0, "errors": 0, "units": 0, "platforms": 0, "periodic": 0, "io": 0,
    "forcefield": 1,
    "crystals": 2,
    "lattice_statics": 3,
    "fitting": 4, "systems": 4,
    "energy": 5,
    "simulation": 6,
    "analysis": 7,
    "bench": 8, "studies": 8,
    "cli": 9,
}
BASE = {"", "_lazy", "choices", "errors", "units", "platforms", "periodic", "io"}


def module_name(path: Path) -> str:
    parts = ["omm_cx", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def all_modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """omm_cx modules that ``name`` imports anywhere in its source."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t.startswith("omm_cx") and t != name:
                out.add(t)
    return out


def part_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def import_graph() -> dict[str, set[str]]:
    modules = all_modules()
    return {m: imports_of(m, p, modules) for m, p in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules, or None (iterative depth-first search)."""
    colour = dict.fromkeys(graph, 0)  # 0 new, 1 on the stack, 2 done
    for root in graph:
        if colour[root]:
            continue
        stack = [(root, iter(sorted(graph[root])))]
        colour[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                colour[node] = 2
                stack.pop()
            elif colour.get(nxt) == 1:
                names = [n for n, _ in stack]
                return names[names.index(nxt):] + [nxt]
            elif colour.get(nxt) == 0:
                colour[nxt] = 1
                stack.append((nxt, iter(sorted(graph[nxt]))))
    return None


def layer_violations(graph: dict[str, set[str]]) -> list[str]:
    bad = []
    for mod, targets in graph.items():
        if mod.rsplit(".", 1)[-1] == "__main__":  # entry points may call the CLI
            continue
        src = part_of(mod)
        if src not in STAGES:
            bad.append(f"{mod}: part {src!r} has no stage in STAGES (docs/architecture.md)")
            continue
        for t in sorted(targets):
            dst = part_of(t)
            if dst not in STAGES:
                bad.append(f"{mod} -> {t}: part {dst!r} has no stage")
            elif STAGES[dst] > STAGES[src]:
                bad.append(f"{mod} (stage {STAGES[src]}) imports the later stage {t} ({STAGES[dst]})")
            elif STAGES[dst] == STAGES[src] and dst != src and not {src, dst} <= BASE:
                bad.append(f"{mod} imports {t}: parts of one stage must not import each other")
    return bad


def test_no_import_cycles():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_no_stage_imports_a_later_stage():
    bad = layer_violations(import_graph())
    assert not bad, "\n".join(bad)


def test_checker_sees_cycles_and_upward_imports():
    """The checks above can fail: a made-up graph with a cycle and an upward import."""
    graph = {"omm_cx.forcefield.a": {"omm_cx.systems.b"}, "omm_cx.systems.b": {"omm_cx.forcefield.a"}}
    assert find_cycle(graph) is not None
    assert any("later stage" in v for v in layer_violations(graph))
    assert find_cycle({"omm_cx.io.x": set(), "omm_cx.cli.y": {"omm_cx.io.x"}}) is None


def test_lazy_and_type_checking_imports_count(tmp_path):
    src = ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from omm_cx.cli import main\n"
           "def f():\n    from omm_cx.analysis import io\n")
    p = tmp_path / "m.py"
    p.write_text(src)
    mods = {"omm_cx.cli": p, "omm_cx.cli.main": p, "omm_cx.analysis": p, "omm_cx.analysis.io": p}
    assert imports_of("omm_cx.forcefield.m", p, mods) == {"omm_cx.cli.main", "omm_cx.analysis.io"}


@pytest.mark.parametrize("part", sorted(p for p in STAGES if p))
def test_every_stage_exists(part):
    assert (PACKAGE / part).is_dir() or (PACKAGE / f"{part}.py").is_file()

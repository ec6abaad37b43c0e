"""Runner state is declared in one place: every attribute a method of the run's classes
sets is first set in ``__init__`` (issue 11, item 7). Checked on the source."""

import ast
from pathlib import Path

import pytest

SIM = Path(__file__).resolve().parents[2] / "omm_cx" / "simulation"
CLASSES = [("runner.py", "_Run"), ("reporters.py", "ProgressReporter"),
           ("reporters.py", "TrajectoryReporter"), ("reporters.py", "FileReporters")]


def _assigned(fn: ast.FunctionDef) -> set[str]:
    names = set()
    for node in ast.walk(fn):
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        for t in targets:
            for el in (t.elts if isinstance(t, ast.Tuple) else [t]):
                if (isinstance(el, ast.Attribute) and isinstance(el.value, ast.Name)
                        and el.value.id == "self"):
                    names.add(el.attr)
    return names


@pytest.mark.parametrize("module, name", CLASSES)
def test_every_attribute_is_declared_in_init(module, name):
    tree = ast.parse((SIM / module).read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
    methods = [n for n in cls.body if isinstance(n, ast.FunctionDef)]
    declared = _assigned(next(m for m in methods if m.name == "__init__"))
    for m in methods:
        late = _assigned(m) - declared
        assert not late, f"{module}:{name}.{m.name} creates {sorted(late)} outside __init__"


def test_runner_uses_no_private_openmm_attributes():
    for module in ("runner.py", "reporters.py", "start.py", "resume.py", "engine.py"):
        text = (SIM / module).read_text(encoding="utf-8")
        assert "._out" not in text and "._value" not in text, module

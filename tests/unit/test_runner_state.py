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


def test_a_box_the_barostat_made_too_narrow_is_a_bad_input_not_a_failed_simulation():
    """The native kernel's refusal of a too narrow box exits 2 (ConfigError: use a larger
    box); any other OpenMM error while stepping is a failed simulation (exit 3)."""
    from types import SimpleNamespace

    from omm_cx.errors import ConfigError, SimulationError, exit_code_of
    from omm_cx.simulation.health import openmm_failure

    cfg = SimpleNamespace(origin="run.yaml", ensemble="npt", timestep_fs=2.0, temperature_K=600.0)
    narrow = Exception("OmmCxPairTableForce: the periodic box is 2.2 nm wide (perpendicular to "
                       "one face), less than twice the cutoff (1.2 nm); use a larger box")
    err = openmm_failure(narrow, 5000, cfg, 4000)
    assert isinstance(err, ConfigError) and exit_code_of(err) == 2
    assert "near step 5000" in str(err) and "step 4000" in str(err)
    other = openmm_failure(Exception("Particle coordinate is NaN"), 5000, cfg, 4000)
    assert isinstance(other, SimulationError) and exit_code_of(other) == 3

"""The ``omm-cx`` registry (one module per command, light to import), the exception
hierarchy of :mod:`omm_cx.errors` and its exit codes."""

import ast
import importlib
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from omm_cx import errors
from omm_cx.cli.main import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[2]


def test_every_command_is_a_module_with_the_same_interface():
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        assert module_name == f"omm_cx.cli.{name}" and help_text
        assert callable(module.add_arguments) and callable(module.run), name
        assert module.DESCRIPTION, name
    assert {p.stem for p in (ROOT / "omm_cx" / "cli").glob("*.py")} == \
        set(COMMANDS) | {"__init__", "main"}


def test_every_help_imports_nothing_heavy():
    """Building every parser and printing every --help imports no OpenMM, numpy or mdtraj."""
    code = ("import sys, contextlib, io\n"
            "from omm_cx.cli.main import COMMANDS, build_parser\n"
            "for argv in [['--help']] + [[c, '--help'] for c in COMMANDS]:\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        try:\n            build_parser().parse_args(argv)\n"
            "        except SystemExit:\n            pass\n"
            "heavy = [m for m in ('openmm', 'numpy', 'mdtraj', 'scipy', 'matplotlib', 'yaml')\n"
            "         if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_same_option_names_in_every_command():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices
    for name, p in sub.items():
        opts = {s: a for a in p._actions for s in a.option_strings}
        if "--output" in opts or "-o" in opts:
            assert opts["-o"] is opts["--output"], name
        assert "--out" not in opts and "--traceback" in opts, name
        if "--json" in opts:
            assert opts["--json"].const is True or opts["--json"].nargs == 0, name
    args = parser.parse_args(["bench", "--json", "b.json"])  # old spelling of --json-file
    assert args.json == "b.json"
    assert parser.parse_args(["bench", "--json"]).json is True
    assert parser.parse_args(["fit", "f.yaml", "--json-file", "p.json"]).json_file == "p.json"


def _defined_exceptions() -> list[tuple[str, str, list[str]]]:
    """(module, class, base names) of every class in omm_cx whose name says it is an
    exception, from the source."""
    out = []
    for path in (ROOT / "omm_cx").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [ast.unparse(b) for b in node.bases]
                if any(b.endswith(("Error", "Exception", "Unavailable", "Interrupted"))
                       for b in bases + [node.name]):
                    out.append((str(path.relative_to(ROOT)), node.name, bases))
    return out


def test_every_public_exception_lives_in_errors_under_ommcxerror():
    for module, name, _ in _defined_exceptions():
        if name.startswith("_"):
            continue  # private control flow inside one module
        assert module == "omm_cx/errors.py", f"{name} in {module}: define it in omm_cx/errors.py"
        cls = getattr(errors, name)
        assert issubclass(cls, errors.OmmCxError) and cls.__doc__ and "xit code" in cls.__doc__


def test_exported_errors_are_the_one_hierarchy_with_builtin_bases():
    """Every package that names an error exports the class of omm_cx.errors (the
    compatibility module omm_cx.simulation.errors is gone: one path per name)."""
    import importlib

    from omm_cx.analysis.xrd.pipeline import AnalysisError
    from omm_cx.bench.lammps import LammpsUnavailable
    from omm_cx.fitting.spec import FitError
    from omm_cx.io.yaml_input import ConfigError
    from omm_cx.lattice_statics import RelaxationError, UnstableStructureError
    from omm_cx.simulation import RunDirError, RunInterrupted, SimulationError

    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("omm_cx.simulation.errors")

    assert AnalysisError is errors.AnalysisError and LammpsUnavailable is errors.LammpsUnavailable
    assert FitError is errors.FitError and ConfigError is errors.ConfigError
    assert RunDirError is errors.RunDirError and RunInterrupted is errors.RunInterrupted
    for cls in (ConfigError, FitError, AnalysisError, RelaxationError, UnstableStructureError,
                errors.StructureError, errors.ForceFieldError):
        assert issubclass(cls, ValueError) and issubclass(cls, errors.OmmCxError)
    assert issubclass(SimulationError, RuntimeError)
    assert UnstableStructureError("m", [1.0]).eigenvalues == [1.0]


@pytest.mark.parametrize("exc, code", [
    (errors.ConfigError("x"), 2), (errors.RelaxationError("x"), 2),
    (errors.UnstableStructureError("x", None), 2), (errors.RunDirError("x"), 2),
    (errors.LammpsUnavailable("x"), 2), (FileNotFoundError(2, "No such file", "a.pdb"), 2),
    (errors.SimulationError("x"), 3), (KeyboardInterrupt(), 130),
    (errors.RunInterrupted("x", signal.SIGINT, 10), 130),
    (errors.RunInterrupted("x", signal.SIGTERM, 10), 143), (TypeError("bug"), 1),
])
def test_exit_codes(exc, code):
    assert errors.exit_code_of(exc) == code


def test_a_closed_pipe_is_not_an_internal_error():
    """``omm-cx study list | head -1``: the reader goes away; no 'internal error'."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "omm_cx", "study", "list"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(120)
    assert "internal error" not in err and "Traceback" not in err, err

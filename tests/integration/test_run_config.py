"""Run configs: bad ones fail before anything is written, with messages that name the key
and the fix; the CLI maps errors to exit codes; importing the CLI does not import OpenMM."""

import subprocess
import sys
from pathlib import Path

import pytest

from omm_cx.errors import OmmCxError
from omm_cx.platforms import available_platforms
from omm_cx.simulation import ConfigError, load_config, run
from omm_cx.cli.main import main as cli_main
from omm_cx.cli.main import build_parser
from omm_cx.simulation.config import MAX_TIMESTEP_FS
from omm_cx.io.pdb import write_pdb
from structures import disordered_box

ROOT = Path(__file__).resolve().parents[2]
QUICK = ROOT / "examples" / "quick.yaml"
LIQUID = ROOT / "examples" / "quick" / "structure.pdb"


def base(**changes):
    cfg = {
        "system": {"forcefield": "pbcdse+psl-nonpreferential", "structure": str(LIQUID)},
        "temperature_K": 550, "steps": 100, "seed": 1,
        "report": {"trajectory_steps": 50, "state_steps": 50, "checkpoint_steps": 50},
        "platform": "CPU",
    }
    cfg.update(changes)
    return {k: v for k, v in cfg.items() if v is not None}


def test_quick_example_reads_and_resolves_paths():
    cfg = load_config(QUICK)
    assert cfg.source_kind == "system"
    assert Path(cfg.source["structure"]) == LIQUID
    assert cfg.ensemble == "nvt" and cfg.temperature_K == 550 and cfg.timestep_fs == 2.0
    assert cfg.total_steps == 5000  # 10 ps at 2 fs
    assert cfg.report.trajectory_steps == 50 and cfg.report.checkpoint_steps == 250
    assert cfg.abort_temperature_K == 3 * 550


def test_production_example_reads():
    """The README's production config: 100 ns at 2 fs, 2 ps frames, recipe source."""
    cfg = load_config(ROOT / "examples" / "pbse-nc-550K.yaml")
    assert cfg.source_kind == "recipe" and cfg.source["recipe"] == "pbse-nc-cd-psl"
    assert cfg.total_steps == 50_000_000
    assert cfg.report.trajectory_steps == 1000 and cfg.report.checkpoint_steps == 25_000
    assert cfg.platform is None  # the fastest platform of the machine it runs on


@pytest.mark.parametrize("changes, words", [
    ({"temprature_K": 550}, ["unknown key 'temprature_K'", "did you mean 'temperature_K'"]),
    ({"report": {"trajectory_pss": 1}}, ["report.trajectory_pss", "trajectory_ps"]),
    ({"temperature_K": -5}, ["'temperature_K'", "-5", "must be > 0"]),
    ({"temperature_K": None}, ["'temperature_K'", "required"]),
    ({"timestep_fs": 6.0}, ["'timestep_fs'", "too large", f"{MAX_TIMESTEP_FS:g} fs"]),
    ({"timestep_fs": 0}, ["'timestep_fs'", "must be > 0"]),
    ({"ensemble": "nph"}, ["'ensemble'", "nvt, npt, nve"]),
    ({"pressure_GPa": 1.0}, ["'pressure_GPa'", "only applies to ensemble npt"]),
    ({"ensemble": "nve", "friction_per_ps": 2.0}, ["'friction_per_ps'", "nve"]),
    ({"length_ns": 1.0}, ["exactly one", "'length_ns'", "'steps'"]),
    ({"report": {"state_ps": 0.003}}, ["'report.state_ps'", "whole number"]),
    ({"system": None}, ["exactly one of the keys 'build'", "none is given"]),
    ({"system": None, "build": "nowhere"}, ["'build'", "not found", "current folder"]),
    ({"system": {"forcefield": "pbcdse", "structure": "missing.pdb"}},
     ["'system.structure'", "missing.pdb", "not found"]),
    ({"precision": "quad"}, ["'precision'", "single, mixed, double"]),
    ({"abort_temperature_K": 300}, ["'abort_temperature_K'", "must be >"]),
])
def test_bad_config_names_the_key(changes, words):
    with pytest.raises(ConfigError) as err:
        load_config(base(**changes))
    for w in words:
        assert w in str(err.value)


def test_unknown_key_error_names_the_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("temperature_K: 550\nsteps: 10\nfoo: 1\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml: unknown key 'foo'"):
        load_config(path)


def test_missing_recipe_fails_before_writing(tmp_path):
    out = tmp_path / "run"
    with pytest.raises(OmmCxError, match="no-such-recipe"):
        run(base(system=None, recipe="no-such-recipe"), out)
    assert not out.exists()


def test_unknown_recipe_gives_clear_error_and_writes_nothing(tmp_path):
    """(The guard for a missing recipes module is gone: recipes are part of omm_cx.)"""
    with pytest.raises(OmmCxError, match="no-such-recipe"):
        run(base(system=None, recipe="no-such-recipe"), tmp_path / "run")
    assert not (tmp_path / "run" / "run.json").exists()


def test_platform_not_available_fails_before_writing(tmp_path):
    missing = next((p for p in ("CUDA", "HIP", "Metal") if p not in available_platforms()), None)
    if missing is None:
        pytest.skip("every GPU platform is available here")
    out = tmp_path / "run"
    with pytest.raises(OmmCxError, match=f"platform '{missing}' is not available"):
        run(base(platform=missing), out)
    assert not out.exists()


def test_timestep_rule_uses_the_lightest_mass(tmp_path):
    # Cu (63.55 amu): limit 0.5 fs x sqrt(63.55) = 3.99 fs, so 4.5 fs is refused for it
    s = disordered_box({"Cd": 50, "Se": 52, "Cu": 4}, 25.0, 2.5, seed=5)
    pdb = tmp_path / "cu.pdb"
    write_pdb(pdb, s)
    cfg = base(system={"forcefield": "cdse-cu-lj", "structure": str(pdb)}, timestep_fs=4.5)
    with pytest.raises(ConfigError, match=r"'timestep_fs'.*Cu.*3\.99 fs"):
        run(cfg, tmp_path / "run")
    assert not (tmp_path / "run").exists()


def test_cli_exit_code_2_on_bad_config(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    text = QUICK.read_text(encoding="utf-8").replace("temperature_K: 550", "temperature_K: -1")
    bad.write_text(text, encoding="utf-8")
    (tmp_path / "quick").mkdir()
    (tmp_path / "quick" / "structure.pdb").write_bytes(LIQUID.read_bytes())
    assert cli_main(["run", str(bad), "-o", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "error:" in err and "temperature_K" in err


def test_add_parser_registers_run():
    parser = build_parser()
    args = parser.parse_args(["run", "c.yaml", "-o", "d", "--steps", "10", "--resume",
                              "--platform", "CPU"])
    assert (args.config, args.output, args.steps, args.resume, args.platform) == (
        "c.yaml", "d", 10, True, "CPU")
    assert callable(args.func)
    assert parser.parse_args(["run", "c.yaml", "--out", "d"]).output == "d"  # old spelling
    with pytest.raises(SystemExit):
        parser.parse_args(["run", "c.yaml", "-o", "d", "--resume", "--overwrite"])


def test_cli_module_does_not_import_openmm():
    code = ("import sys, omm_cx.simulation, omm_cx.cli.run, omm_cx.simulation.config; "
            "sys.exit(1 if 'openmm' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_recipe_and_build_dir_sources(tmp_path):
    """A recipe is built, simulated and saved in DIR/build; that folder then serves as a
    'build:' source (relative to the config's folder)."""
    report = {"trajectory_steps": 10, "state_steps": 10, "checkpoint_steps": 10}
    first = run({"recipe": "cd-psl-liquid", "seed": 4, "temperature_K": 500, "steps": 20,
                 "minimize_max_iterations": 50, "platform": "CPU", "report": report},
                tmp_path / "a")
    assert first.record.system.description == "recipe cd-psl-liquid"
    assert first.record.system.n_atoms == 1728
    assert (tmp_path / "a" / "build" / "build.json").is_file()
    cfg = load_config({"build": "a/build", "seed": 4, "temperature_K": 500, "steps": 20,
                       "minimize": False, "platform": "CPU", "report": report}, base_dir=tmp_path)
    second = run(cfg, tmp_path / "b")
    assert second.status == "finished" and second.record.system.n_atoms == 1728
    assert second.record.settings.source["path"] == str((tmp_path / "a" / "build").resolve())

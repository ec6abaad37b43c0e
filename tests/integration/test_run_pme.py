"""``pme:`` in a run config: explicit PME alpha and grid instead of the tolerance."""

import openmm as mm

from omm_cx.cli.main import main

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
QUICK = ROOT / "examples" / "quick" / "structure.pdb"


def _config(tmp_path, pme: str, structure=QUICK) -> str:
    cfg = tmp_path / "run.yaml"
    cfg.write_text(f"system: {{forcefield: pbcdse+psl-nonpreferential, structure: {structure}}}\n"
                   f"{pme}seed: 1\nensemble: nvt\ntemperature_K: 550\nsteps: 20\nminimize: false\n"
                   "report: {state_steps: 10, trajectory_steps: 10, checkpoint_steps: 20}\n"
                   "platform: CPU\n", encoding="utf-8")
    return str(cfg)


def test_explicit_pme_reaches_the_run_system(tmp_path):
    cfg = _config(tmp_path, "pme: {alpha_per_nm: 3.1, grid: [24, 25, 27]}\n")
    assert main(["run", cfg, "-o", str(tmp_path / "out")]) == 0
    system = mm.XmlSerializer.deserialize(
        (tmp_path / "out" / "build" / "system.xml").read_text(encoding="utf-8"))
    nb = [f for f in system.getForces() if isinstance(f, mm.NonbondedForce)][0]
    alpha, nx, ny, nz = nb.getPMEParameters()
    assert abs(alpha.value_in_unit(mm.unit.nanometer**-1) - 3.1) < 1e-12
    assert (nx, ny, nz) == (24, 25, 27)
    run = (tmp_path / "out" / "run.json").read_text(encoding="utf-8")
    assert '"alpha_per_nm": 3.1' in run


def test_bad_pme_keys_exit_2(tmp_path, capsys):
    cfg = _config(tmp_path, "pme: {alpha_per_nm: 3.1, grid: [24, 24]}\n")
    assert main(["run", cfg, "-o", str(tmp_path / "a")]) == 2
    assert "pme.grid" in capsys.readouterr().err


def test_pme_without_a_box_exits_2(tmp_path, capsys):
    lines = [l for l in QUICK.read_text(encoding="utf-8").splitlines() if not l.startswith("CRYST1")]
    (tmp_path / "vac.pdb").write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = _config(tmp_path, "pme: {alpha_per_nm: 3.1, grid: [24, 24, 24]}\n", tmp_path / "vac.pdb")
    assert main(["run", cfg, "-o", str(tmp_path / "b")]) == 2
    assert "key 'pme'" in capsys.readouterr().err

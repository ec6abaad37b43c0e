"""Physics of the runner's ensembles on small real systems (CPU platform, mixed precision).

Measured on 2 CPU cores (OpenMM 8.6.1, CPU platform = mixed precision, 12 Å sharp cutoff
for the Buckingham terms), NVE from 550 K velocities, 1 ps, per atom; drift = slope of a
linear fit of the total energy, fluctuation = RMS about the fit; four velocity seeds:

==================  ===============  ======  =====================  ==================
system              PME tolerance    dt      drift (meV/ps/atom)    fluctuation (meV)
==================  ===============  ======  =====================  ==================
PbSe 4x4x4 crystal  5e-4 (default)   2 fs    0.0006 - 0.003         0.009 - 0.010
PbSe 4x4x4 crystal  5e-4             4 fs    0.005                  0.017
Cd-PSL liquid 216   5e-4 (default)   2 fs    0.011 - 0.068          0.006 - 0.014
Cd-PSL liquid 216   5e-4             1 fs    0.009 - 0.068          0.007 - 0.015
Cd-PSL liquid 216   1e-4             2 fs    0.007 - 0.016          0.001 - 0.003
Cd-PSL liquid 216   1e-5             2 fs    0.0004 - 0.0011        0.0003 - 0.0004
==================  ===============  ======  =====================  ==================

The drift does not depend on the time step (1 vs 2 fs) but on the PME error: it falls
~60-fold from tolerance 5e-4 to 1e-5. The sharp short-range cutoff costs little (the
Buckingham terms at 12 Å are ~1e-4 eV); with 1e-5 everything left is <= 0.001
meV/ps/atom. A drift of 0.07 meV/ps/atom would heat an isolated system by ~0.5 K/ps: harmless
under a thermostat, but NVE production runs should set system.ewald_error_tolerance: 1e-5.
The asserted bounds are ~3x the largest value measured.

NVT (Langevin, 5/ps, 550 K, liquid, 10 ps): mean kinetic temperature 548-554 K with block
errors of 3-6 K, fluctuations as canonical. NPT (PbSe 4x4x4, 300 K, 6 ps):
V(1 GPa)/V(0 GPa) - 1 = -2.1 % (isotropic and anisotropic barostat) against -1.85 % from
the lattice-statics bulk modulus (54 GPa; the crystal is softer at 300 K: K ~ 47-48 GPa).
"""

import math
from pathlib import Path

import numpy as np
import pytest

from omm_cx import units
from omm_cx.simulation import run
from omm_cx.simulation.outputs import read_state_csv
from omm_cx.io.pdb import write_pdb
from structures import rocksalt

ROOT = Path(__file__).resolve().parents[2]
LIQUID = ROOT / "examples" / "quick" / "structure.pdb"
PSL_FF = "pbcdse+psl-nonpreferential"

#: NVE bounds per atom at 2 fs, by PME tolerance: (|drift| meV/ps, fluctuation meV); about
#: 3x the largest values measured (module doc).
NVE_BOUNDS = {5e-4: (0.2, 0.05), 1e-5: (0.004, 0.0015)}
#: Lattice-statics bulk modulus of rocksalt PbSe with pbcdse (GPa).
PBSE_BULK_MODULUS_GPA = 54.0


@pytest.fixture(scope="module")
def pbse_pdb(tmp_path_factory):
    path = tmp_path_factory.mktemp("pbse") / "pbse444.pdb"
    write_pdb(path, rocksalt(6.09, 4, "Pb", "Se"))  # 512 ions, box 24.36 Å
    return path


def _config(structure, ff, **kw):
    steps = kw.pop("steps")
    report = kw.pop("report", {})
    cfg = {
        "system": {"forcefield": ff, "structure": str(structure)},
        "seed": 7, "platform": "CPU", "steps": steps,
        "report": {"trajectory_steps": steps, "checkpoint_steps": steps, **report},
    }
    cfg.update(kw)
    return cfg


def _csv(result):
    return {k: np.array(v) for k, v in read_state_csv(result.files["state_csv"]).items()}


@pytest.mark.parametrize("system, tolerance", [("crystal", 5e-4), ("liquid", 5e-4),
                                               ("liquid", 1e-5)])
def test_nve_conserves_energy(system, tolerance, pbse_pdb, tmp_path):
    structure, ff = (pbse_pdb, "pbcdse") if system == "crystal" else (LIQUID, PSL_FF)
    cfg = _config(structure, ff, ensemble="nve", temperature_K=550, timestep_fs=2.0,
                  steps=500, report={"state_steps": 5})
    cfg["system"]["ewald_error_tolerance"] = tolerance
    res = run(cfg, tmp_path)
    c = _csv(res)
    n = res.record.system.n_atoms
    t_ps = c["Time (ps)"]
    e = units.kjmol_to_ev(c["Total Energy (kJ/mole)"]) / n * 1000.0  # meV/atom
    k = units.kjmol_to_ev(c["Kinetic Energy (kJ/mole)"]) / n * 1000.0
    slope, icept = np.polyfit(t_ps, e, 1)
    fluct = np.std(e - (slope * t_ps + icept))
    print(f"NVE {system}, PME tolerance {tolerance:g}: drift {slope:.4g} meV/atom/ps, "
          f"fluctuation {fluct:.4g} meV/atom, "
          f"kinetic fluctuation {np.std(k):.4g} meV/atom")
    assert t_ps[-1] == pytest.approx(1.0)
    max_drift, max_fluct = NVE_BOUNDS[tolerance]
    assert abs(slope) < max_drift
    assert fluct < max_fluct
    assert fluct < 0.01 * np.std(k)  # the exchange between kinetic and potential is 100x larger


def test_nvt_holds_the_set_temperature(tmp_path):
    target = 550.0
    res = run(_config(LIQUID, PSL_FF, ensemble="nvt", temperature_K=target,
                      friction_per_ps=5.0, steps=6000, report={"state_steps": 10}), tmp_path)
    c = _csv(res)
    temp = c["Temperature (K)"][c["Time (ps)"] > 2.0]  # 2 ps to equilibrate
    blocks = temp[: len(temp) // 10 * 10].reshape(10, -1).mean(axis=1)
    mean, sem = blocks.mean(), blocks.std(ddof=1) / math.sqrt(len(blocks))
    n = res.record.system.n_atoms
    canonical_sd = target * math.sqrt(2.0 / (3 * n))  # of the instantaneous temperature
    print(f"NVT: <T> = {mean:.1f} +- {sem:.1f} K (set {target} K); SD {temp.std():.1f} K, "
          f"canonical {canonical_sd:.1f} K")
    assert abs(mean - target) < 3 * sem + 2.0  # 2 K: LangevinMiddle's kinetic-energy bias at 2 fs
    assert temp.std() == pytest.approx(canonical_sd, rel=0.25)


def _npt_volume_nm3(pdb, out, p_gpa, barostat):
    res = run(_config(pdb, "pbcdse", ensemble="npt", temperature_K=300.0, friction_per_ps=5.0,
                      pressure_GPa=p_gpa, barostat=barostat, steps=3000,
                      report={"state_steps": 25}), out)
    c = _csv(res)
    return c["Box Volume (nm^3)"][c["Step"] > 1000].mean()  # 2 ps to equilibrate


@pytest.fixture(scope="module")
def volume_at_0_gpa(pbse_pdb, tmp_path_factory):
    return _npt_volume_nm3(pbse_pdb, tmp_path_factory.mktemp("npt0"), 0.0, "isotropic")


@pytest.mark.slow  # three NPT runs (the volume_at_0_gpa fixture and one per barostat)
@pytest.mark.parametrize("barostat", ["isotropic", "anisotropic"])
def test_npt_volume_follows_the_bulk_modulus(barostat, volume_at_0_gpa, pbse_pdb, tmp_path):
    v1 = _npt_volume_nm3(pbse_pdb, tmp_path, 1.0, barostat)
    change = v1 / volume_at_0_gpa - 1.0
    expected = -1.0 / PBSE_BULK_MODULUS_GPA
    print(f"NPT 1 GPa {barostat}: V/V(0 GPa) - 1 = {100 * change:.2f} % (bulk modulus: "
          f"{100 * expected:.2f} %; implied K = {-1.0 / change:.0f} GPa)")
    assert 0.7 * expected > change > 1.5 * expected  # -1.3 % .. -2.8 %

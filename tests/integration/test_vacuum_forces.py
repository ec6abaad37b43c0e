"""The short-range-cutoff path for isolated particles (omm_cx.forcefield.vacuum_forces)
and the all-pairs check of omm_cx.systems.vacuum, against OpenMM's all-pairs system."""

import numpy as np
import openmm as mm
import pytest

from omm_cx import units
from omm_cx.errors import ConfigError
from omm_cx.forcefield import load_forcefield
from omm_cx.forcefield.vacuum_forces import apply_short_range_cutoff, coulomb_offset_kjmol
from omm_cx.systems.recipes import build_recipe
from omm_cx.systems.vacuum import all_pairs_forces

PARTICLE = {"name": "t", "forcefield": "pbcdse", "seed": 1,
            "nanocrystal": {"shape": "core_shell", "diameter_nm": 3.0,
                            "crystal": {"structure": "rocksalt", "cation": "Pb", "anion": "Se"},
                            "shell": {"cation": "Cd", "structure": "zincblende"},
                            "exchanged_fraction": 0.5}}


@pytest.fixture(scope="module")
def built():
    return build_recipe(PARTICLE), build_recipe(dict(PARTICLE, vacuum_method="short-range-cutoff"))


def _state(system, pos_A, groups=None):
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions(units.angstrom_to_nm(pos_A))
    st = ctx.getState(getEnergy=True, getForces=True, **({} if groups is None else {"groups": groups}))
    f = units.force_kjmol_nm_to_ev_angstrom(np.asarray(st.getForces(asNumpy=True)._value))
    return st.getPotentialEnergy().value_in_unit(mm.unit.kilojoule_per_mole), f


def test_coulomb_is_exactly_all_pairs(built):
    """Reaction field with dielectric 1 beyond the particle + the offset = the plain sum."""
    all_pairs, fast = built
    pos = all_pairs.structure.positions_A
    e_ref, f_ref = _state(all_pairs.system, pos, {0})
    e, f = _state(fast.system, pos, {0})
    assert e == pytest.approx(e_ref, rel=1e-9)
    assert np.abs(f - f_ref).max() < 1e-9 * np.abs(f_ref).max()


def test_short_range_tail_is_the_only_error_and_is_recorded(built):
    """The -C/r^6 tails beyond 12 Å: below 1e-3 eV/Å RMS (0.075 % of the RMS force)."""
    all_pairs, fast = built
    pos = all_pairs.structure.positions_A
    _, f_ref = _state(all_pairs.system, pos)
    _, f = _state(fast.system, pos)
    rms = float(np.sqrt(np.mean(np.sum((f - f_ref) ** 2, axis=1))))
    assert 1e-5 < rms < 1e-3  # not zero: the tails are really cut
    rec = fast.info["vacuum"]
    assert rec["rms_force_error_eV_per_A"] == pytest.approx(rms, rel=1e-3)
    assert rec["coulomb_cutoff_nm"] > rec["largest_pair_distance_nm"] + 2.9
    assert rec["short_range_cutoff_A"] == 12.0
    assert all_pairs.info.get("vacuum") is None


def test_numpy_all_pairs_reference_matches_openmm(built):
    """The build-time check's reference (NumPy) against OpenMM's all-pairs system."""
    all_pairs, _ = built
    pos, sp = all_pairs.structure.positions_A, all_pairs.structure.species
    _, f_ref = _state(all_pairs.system, pos)
    idx = np.arange(0, len(sp), 7)
    f = all_pairs_forces(load_forcefield("pbcdse"), sp, pos, idx)
    assert np.abs(f - f_ref[idx]).max() < 1e-6


def test_offset_by_hand():
    """Two ions +1 and -1 e: sum_{i<j} q_i q_j = -1, offset = -k / r_c."""
    assert coulomb_offset_kjmol(np.array([1.0, -1.0]), 2.0) == pytest.approx(-138.935458 / 2)


def test_pair_beyond_the_short_range_cutoff_keeps_its_coulomb():
    """Two ions 30 Å apart: Coulomb acts, the short-range term (12 Å cutoff) does not."""
    from omm_cx.forcefield.openmm_forces import create_system

    ff = load_forcefield("pbcdse")
    pos = np.array([[0.0, 0, 0], [30.0, 0, 0]])
    system = create_system(ff, ["Pb", "Se"], None)
    apply_short_range_cutoff(system, pos, ff.cutoff_A)
    e, f = _state(system, pos)
    qq = ff.charge("Pb") * ff.charge("Se")
    # rel 1e-7: OpenMM's own 1/(4 pi eps0) differs from ours in the 8th digit
    assert e == pytest.approx(units.COULOMB_KJMOL_NM * qq / 3.0, rel=1e-7)
    assert f[0, 0] == pytest.approx(-units.COULOMB_EV_ANGSTROM * qq / 30.0**2, rel=1e-7)  # attracted to +x


def test_recipe_refuses_the_method_with_a_box():
    with pytest.raises(ConfigError, match="vacuum_method"):
        build_recipe(dict(PARTICLE, vacuum_method="short-range-cutoff", vacuum_padding_nm=2.0))


def test_system_route_takes_the_method_and_refuses_it_with_a_box(tmp_path):
    """``system: {vacuum_method: short-range-cutoff}`` in a run config: the record holds
    the method and the measured error; a structure with CRYST1 is refused (exit 2)."""
    import json

    from omm_cx.cli.main import main
    from omm_cx.io.pdb import Structure, write_pdb

    b = build_recipe(PARTICLE)
    write_pdb(tmp_path / "p.pdb", b.structure)
    cfg = tmp_path / "run.yaml"
    cfg.write_text("system: {forcefield: pbcdse, structure: p.pdb, vacuum_method: short-range-cutoff}\n"
                   "seed: 1\nensemble: nvt\ntemperature_K: 300\ntimestep_fs: 1.0\nsteps: 20\n"
                   "minimize: true\nreport: {state_steps: 10, trajectory_steps: 10, "
                   "checkpoint_steps: 20}\nplatform: CPU\n", encoding="utf-8")
    assert main(["run", str(cfg), "-o", str(tmp_path / "out")]) == 0
    rec = json.loads((tmp_path / "out" / "build" / "build.json").read_text(encoding="utf-8"))
    assert rec["vacuum"]["short_range_cutoff_A"] == 12.0
    assert 1e-5 < rec["vacuum"]["rms_force_error_eV_per_A"] < 1e-3

    boxed = Structure(b.structure.species, b.structure.positions_A + 30.0, np.diag([80.0] * 3))
    write_pdb(tmp_path / "p.pdb", boxed)
    assert main(["run", str(cfg), "-o", str(tmp_path / "out2")]) == 2

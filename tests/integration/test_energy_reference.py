"""OpenMM energies and forces against an independent direct Ewald + pair sum (numpy,
tests/reference_ewald.py) with the published parameters typed in from the papers.

Tolerances: energies 2e-5 relative, forces 1e-3 eV/Å (issue 2), on the Reference
platform with a tight PME tolerance (1e-7)."""

import numpy as np
import pytest

from omm_cx.energy.single_point import single_point
from omm_cx.forcefield import load_forcefield
from omm_cx.forcefield.openmm_forces import CoulombSettings
from reference_ewald import ewald, short_range
from structures import disordered_box, rocksalt

# 000 Table S7 and 004 Supplementary Table 1 (A eV, rho Å, C eV Å^6), typed in here.
S7 = {("Cd", "Se"): (2.64e9, 0.108, 64.4), ("Pb", "Se"): (4.88e6, 0.173, 211.0),
      ("Se", "Se"): (5200.0, 0.384, 127.0)}
PSL_C = {"nonpreferential": (0.0, 0.0), "pb-preferred": (0.0, 200.0), "cd-preferred": (200.0, 0.0)}
CHARGE = {"Pb": 0.8, "Cd": 0.8, "Se": -0.8, "PSL": -0.8}

E_REL_TOL = 2e-5
F_ABS_TOL = 1e-3  # eV/Å
TIGHT = CoulombSettings(ewald_error_tolerance=1e-7)


def reference_params(psl_variant=None):
    table = dict(S7)
    if psl_variant:
        c_cd, c_pb = PSL_C[psl_variant]
        table.update({("Cd", "PSL"): (1000.0, 0.4, c_cd), ("Pb", "PSL"): (1000.0, 0.4, c_pb),
                      ("Se", "PSL"): (15000.0, 0.4, 0.0), ("PSL", "PSL"): (0.0, 0.4, 0.0)})
    params = {}
    for (a, b), (A, rho, C) in table.items():
        params[(a, b)] = params[(b, a)] = (A, rho, 0.0, C)
    return params


def reference(structure, params):
    q = [CHARGE[s] for s in structure.species]
    e_c, f_c = ewald(structure.positions_A, q, structure.box_A)
    e_s, f_s = short_range(structure.positions_A, structure.species, params, structure.box_A)
    return e_c, e_s, f_c + f_s


def assert_matches(sp, ref):
    e_c, e_s, f = ref
    assert sp.coulomb_eV == pytest.approx(e_c, rel=E_REL_TOL)
    assert sp.short_range_eV == pytest.approx(e_s, rel=E_REL_TOL)
    assert sp.total_eV == pytest.approx(e_c + e_s, rel=E_REL_TOL)
    err = np.abs(sp.forces_eV_per_A - f).max()
    assert err < F_ABS_TOL, f"max force error {err:.2e} eV/Å"


def test_bulk_pbse_crystal_matches_direct_ewald():
    s = rocksalt(6.09, 4, "Pb", "Se", jitter_A=0.1, seed=3)
    sp = single_point(load_forcefield("pbcdse"), s, coulomb=TIGHT)
    assert_matches(sp, reference(s, reference_params()))
    # a perfect-lattice sanity anchor: the Madelung energy dominates, about -5.3 eV per
    # ion pair for q = 0.8 e at a = 6.09 Å; the jittered crystal must be close to that.
    assert -6.5 < sp.total_eV / 256 < -5.5


@pytest.mark.parametrize("variant", sorted(PSL_C))
def test_disordered_box_all_species_matches_direct_ewald(variant):
    s = disordered_box({"Pb": 30, "Cd": 30, "Se": 36, "PSL": 24}, 24.5, 2.3, seed=7)
    sp = single_point(load_forcefield(f"pbcdse+psl-{variant}"), s, coulomb=TIGHT)
    assert_matches(sp, reference(s, reference_params(variant)))


def test_triclinic_box_matches_direct_ewald():
    h = np.array([[28.5, 0, 0], [-14.25, 28.5 * np.sqrt(3) / 2, 0], [0, 0, 24.5]])
    s = disordered_box({"Pb": 10, "Cd": 14, "Se": 18, "PSL": 6}, 0, 2.3, seed=11, box_matrix=h)
    sp = single_point(load_forcefield("pbcdse+psl-cd-preferred"), s, coulomb=TIGHT)
    assert_matches(sp, reference(s, reference_params("cd-preferred")))


def test_lennard_jones_set_matches_direct_sum():
    """cdse-cu-lj: 003 Tables 2/3 with Lorentz-Berthelot mixing, typed in here."""
    eps = {"Cd": 1.68e-3, "Se": 1.49e-3, "Cu": 1.20e-3}
    sig = {"Cd": 1.98, "Se": 5.24, "Cu": 1.00}
    q = {"Cd": 1.18, "Se": -1.18, "Cu": 0.59}
    params = {}
    for a in eps:
        for b in eps:
            e, sg = np.sqrt(eps[a] * eps[b]), (sig[a] + sig[b]) / 2
            params[(a, b)] = (0.0, 1.0, 4 * e * sg**12, 4 * e * sg**6)
    s = disordered_box({"Cd": 20, "Se": 30, "Cu": 20}, 24.5, 2.5, seed=5)
    sp = single_point(load_forcefield("cdse-cu-lj"), s, coulomb=TIGHT)
    e_c, f_c = ewald(s.positions_A, [q[x] for x in s.species], s.box_A)
    e_s, f_s = short_range(s.positions_A, s.species, params, s.box_A)
    assert_matches(sp, (e_c, e_s, f_c + f_s))


@pytest.mark.slow  # 5-10 s: kept out of the 3-min inner loop
def test_forces_are_minus_energy_gradient():
    """Central finite differences of the total energy (Reference platform, double)."""
    ff = load_forcefield("pbcdse+psl-pb-preferred")
    s = disordered_box({"Pb": 20, "Cd": 20, "Se": 24, "PSL": 16}, 24.5, 2.4, seed=2)
    sp = single_point(ff, s)
    h = 1e-4  # Å
    rng = np.random.default_rng(0)
    for atom in rng.choice(len(s.species), 6, replace=False):
        for k in range(3):
            plus, minus = s.positions_A.copy(), s.positions_A.copy()
            plus[atom, k] += h
            minus[atom, k] -= h
            e_p = single_point(ff, type(s)(s.species, plus, s.box_A)).total_eV
            e_m = single_point(ff, type(s)(s.species, minus, s.box_A)).total_eV
            fd = -(e_p - e_m) / (2 * h)
            assert fd == pytest.approx(sp.forces_eV_per_A[atom, k], abs=2e-4), (atom, k)


@pytest.mark.parametrize("platform", ["Reference", "CPU"])
def test_onehot_and_table_encodings_agree(platform):
    """The one-hot encoding of the pair tables is exact: same energies and forces as the
    Discrete2DFunction tables (to the platform's rounding)."""
    import openmm as mm

    from omm_cx import units
    from omm_cx.forcefield.openmm_forces import create_system

    ff = load_forcefield("pbcdse+psl-cd-preferred")
    s = disordered_box({"Pb": 20, "Cd": 20, "Se": 24, "PSL": 16}, 24.5, 2.4, seed=12)
    out = {}
    for enc in ("tables", "onehot"):
        system = create_system(ff, s.species, s.box_A, encoding=enc)
        ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName(platform))
        ctx.setPositions(units.angstrom_to_nm(s.positions_A))
        st = ctx.getState(getEnergy=True, getForces=True, groups={1})
        out[enc] = (st.getPotentialEnergy()._value, st.getForces(asNumpy=True)._value)
    assert out["onehot"][0] == pytest.approx(out["tables"][0], rel=1e-12 if platform == "Reference" else 1e-6)
    assert np.abs(out["onehot"][1] - out["tables"][1]).max() < (1e-8 if platform == "Reference" else 1e-2)


def test_lj_fast_path_equals_the_custom_force():
    """003's LJ set is exactly Lorentz-Berthelot, so "auto" puts it into the Coulomb
    NonbondedForce (no custom force): same energies, parts and forces as the one-hot
    custom force, on the Reference platform, with and without the dispersion correction."""
    import openmm as mm

    from omm_cx import units
    from omm_cx.forcefield.openmm_forces import (LJ_SCALE, create_system, energy_split_kjmol,
                                                 lorentz_berthelot_lj)

    ff = load_forcefield("cdse-cu-lj")
    lj = lorentz_berthelot_lj(ff, ["Cd", "Se", "Cu"])
    assert lj["Se"][0] == pytest.approx(5.24, rel=1e-12) and lj["Cd"][1] == pytest.approx(1.68e-3, rel=1e-12)
    assert lorentz_berthelot_lj(load_forcefield("pbcdse"), ["Pb", "Cd", "Se"]) is None  # Buckingham
    s = disordered_box({"Cd": 20, "Se": 30, "Cu": 20}, 24.5, 2.5, seed=5)
    for corr in (False, True):
        out = {}
        for enc in ("onehot", "nonbonded"):
            system = create_system(ff, s.species, s.box_A, encoding=enc, dispersion_correction=corr,
                                   coulomb=CoulombSettings(ewald_error_tolerance=1e-6))
            assert (system.getNumForces() == 1) == (enc == "nonbonded")
            ctx = mm.Context(system, mm.VerletIntegrator(0.001), mm.Platform.getPlatformByName("Reference"))
            ctx.setPositions(units.angstrom_to_nm(s.positions_A))
            st = ctx.getState(getEnergy=True, getForces=True)
            out[enc] = (energy_split_kjmol(ctx), st.getForces(asNumpy=True).value_in_unit(
                mm.unit.kilojoule_per_mole / mm.unit.nanometer))
            if enc == "nonbonded":
                assert ctx.getParameter(LJ_SCALE) == 1.0  # restored after the split
        (c1, s1), f1 = out["onehot"]
        (c2, s2), f2 = out["nonbonded"]
        assert c2 == pytest.approx(c1, rel=1e-10) and s2 == pytest.approx(s1, rel=1e-9)
        assert np.abs(np.asarray(f2) - np.asarray(f1)).max() < 1e-6
    with pytest.raises(ValueError, match="Lorentz-Berthelot"):
        create_system(load_forcefield("pbcdse"), ["Pb", "Se"] * 200, np.eye(3) * 30,
                      encoding="nonbonded")

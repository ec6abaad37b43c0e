"""Lattice statics: Ewald sums, relaxed phases, elastic constants, and the published
lattice-statics values of the Pb-Cd-Se force field (000 Tables S8/S9, "PCRIM" column)."""

from __future__ import annotations

import json
from pathlib import Path
import math

import numpy as np
import pytest

from omm_cx import units
from omm_cx.crystals import PHASES, STRUCTURES, TRANSITIONS
from omm_cx.forcefield import load_forcefield
from omm_cx.lattice_statics import (
    LatticeSum,
    UnstableStructureError,
    bulk_modulus_reuss,
    elastic_constants,
    ewald_energy,
    ewald_parameters,
    format_validation_table,
    lattice_energy,
    relax_phase,
    transition_pressure,
    validate_forcefield,
)

# Tolerances against the published LS values (do not loosen).
TOL_E_LATT_EV = 0.005
TOL_LATTICE_PCT = 0.5
TOL_DE_EV = 0.01
TOL_B_PCT = 5.0
TOL_CIJ_PCT = 10.0

XFAIL = {
    ("CdSe-honeycomb", "c_A"): (
        "published c = 5.63 Å is the value printed for RS-CdSe a one row above (probable "
        "transcription error). Our relaxed HC-CdSe has c = 5.876 Å (a = 4.572 Å matches the "
        "published 4.57); the surface is very flat along c (clamped-ion c33 = 14 GPa; with a "
        "relaxed, E(c = 5.63) is only 2.6 meV/f.u. higher), and (a = 4.57, c = 5.63) is not "
        "a stationary point (dE/da = -0.19 eV/Å/f.u.). PbSe-HC, computed the same way, "
        "matches a and c."),
    ("PbSe-honeycomb", "dE_eV"): (
        "published dE = 0.397 eV is twice ours (0.1987 eV/f.u.): it is the energy per "
        "2-f.u. hexagonal cell, 2 x 0.1987 = 0.3973 (see test_pbse_honeycomb_dE_per_cell); "
        "a and c match the published values to 0.1 %."),
}


@pytest.fixture(scope="module")
def ff():
    return load_forcefield("pbcdse")


@pytest.fixture(scope="module")
def validation():
    return validate_forcefield("pbcdse")


# ------------------------------------------------------------------ Ewald sums
@pytest.mark.parametrize("structure, a, r0, madelung", [
    ("rocksalt", 6.0, 3.0, 1.747565),
    ("cesiumchloride", 4.0, 4.0 * math.sqrt(3) / 2, 1.762675),
    ("zincblende", 6.0, 6.0 * math.sqrt(3) / 4, 1.638055),
])
@pytest.mark.parametrize("kind", ["primitive", "conventional"])
def test_madelung_constants(structure, a, r0, madelung, kind):
    """Unit charges: E per ion pair = -M k_e / r0 (r0: nearest-neighbour distance)."""
    cell = STRUCTURES[structure].cell({"cation": "X", "anion": "Y"}, a, kind=kind)
    q = [1.0 if s == "X" else -1.0 for s in cell.species]
    e = ewald_energy(cell.lattice_A, cell.positions_A, q) / cell.formula_units
    assert -e * r0 / units.COULOMB_EV_ANGSTROM == pytest.approx(madelung, abs=1e-6)


def test_ewald_converged(ff):
    """Default Ewald parameters agree with much larger cutoffs to 1e-10 eV/f.u."""
    cell = PHASES["CdSe-wurtzite"].cell(kind="primitive")
    q = [ff.charge(s) for s in cell.species]
    e1 = ewald_energy(cell.lattice_A, cell.positions_A, q)
    e2 = LatticeSum(cell.lattice_A, cell.positions_A, q,
                    ewald=ewald_parameters(16.0, 8.0)).coulomb(cell.lattice_A, cell.positions_A)
    assert abs(e1 - e2) / cell.formula_units < 1e-10


def test_cell_choice_does_not_matter(ff):
    """Primitive, conventional and supercell give the same energy per formula unit."""
    ph = PHASES["CdSe-zincblende"]
    es = [lattice_energy(ff, c.lattice_A, c.positions_A, c.species, c.formula_units)
          for c in (ph.cell(kind="primitive"), ph.cell(), ph.cell(repeats=(2, 1, 1)))]
    assert np.ptp(es) < 1e-10


def test_batched_energies_equal_one_at_a_time(ff):
    """LatticeSum.energies (the vectorized path of the finite differences) equals energy()
    geometry by geometry bit for bit, also across its memory chunks, and so do the
    finite-difference derivatives through it: the fits (tests/integration/test_fit*.py,
    the shipped pbcds-omm_cx parameters) follow the same path whichever is used. A
    difference in the last bit (seen with a sum over a non-contiguous axis) moved the
    sulfide fit to another end point (cost 0.306 against 0.295)."""
    import omm_cx.lattice_statics.lattice_sums as ls
    from omm_cx.lattice_statics.elastic import strain_tensor
    from omm_cx.lattice_statics.finite_diff import gradient_hessian

    cell = PHASES["CdSe-wurtzite"].cell(kind="primitive")
    model = LatticeSum.from_forcefield(ff, cell.lattice_A, cell.positions_A, cell.species)
    rng = np.random.default_rng(7)
    f = np.eye(3) + strain_tensor(rng.normal(0, 0.01, (5, 6)))
    hs = cell.lattice_A @ f
    ps = (cell.positions_A + rng.normal(0, 0.02, (5, len(cell.species), 3))) @ f
    one = np.array([model.energy(h, p) for h, p in zip(hs, ps)])
    assert np.ptp(one) > 1e-3  # the geometries really differ
    assert np.array_equal(model.energies(hs, ps), one)
    old = ls._BATCH_ELEMENTS
    try:
        ls._BATCH_ELEMENTS = 1  # one geometry per chunk
        assert np.array_equal(model.energies(hs, ps), one)
    finally:
        ls._BATCH_ELEMENTS = old

    def energy(v):
        return model.energy(cell.lattice_A @ (np.eye(3) + strain_tensor(v)),
                            cell.positions_A @ (np.eye(3) + strain_tensor(v)))

    def energies(vs):
        g = np.eye(3) + strain_tensor(vs)
        return model.energies(cell.lattice_A @ g, cell.positions_A @ g)

    x0, steps = np.full(6, 1e-3), np.full(6, 1e-3)
    e1, g1, h1 = gradient_hessian(energy, x0, steps)
    e2, g2, h2 = gradient_hessian(None, x0, steps, f_many=energies)
    assert e2 == e1 and np.array_equal(g2, g1) and np.array_equal(h2, h1)


def test_structures():
    sp = {"cation": "Cd", "anion": "Se"}
    wz = STRUCTURES["wurtzite"].cell(sp, 4.0, 4.0 * math.sqrt(8 / 3), 0.375)
    d = wz.positions_A[2] - wz.positions_A[0]  # anion above cation: bond along c
    assert np.linalg.norm(d) == pytest.approx(0.375 * 4.0 * math.sqrt(8 / 3))
    hc = STRUCTURES["honeycomb"].cell(sp, 4.0, 5.0)
    assert np.allclose(hc.positions_A[2] - hc.positions_A[0], [0, 0, 2.5])
    af = STRUCTURES["antifluorite"].cell({"cation": "Cu", "anion": "Se"}, 5.8)
    assert af.species.count("Cu") == 8 and af.species.count("Se") == 4
    assert af.formula_units == 4
    assert STRUCTURES["antifluorite"].cell({"cation": "Cu", "anion": "Se"}, 5.8,
                                           kind="primitive").formula_units == 1
    for name, ph in PHASES.items():
        assert name == f"{ph.compound}-{ph.structure.name}"
        assert ph.published and ph.source


# ------------------------------------------------------------- published values
def _published_cases():
    cases = []
    for name, ph in PHASES.items():
        for key, value in ph.published.items():
            items = value.items() if key == "cij_GPa" else [(None, value)]
            for sub, ref in items:
                marks = []
                if (name, key) in XFAIL:
                    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[(name, key)])]
                cases.append(pytest.param(name, key, sub, ref, marks=marks,
                                          id=f"{name}-{sub or key}"))
    return cases


@pytest.mark.parametrize("phase, key, sub, ref", _published_cases())
def test_published_lattice_statics(validation, phase, key, sub, ref):
    ours = validation["phases"][phase][key]
    if sub is not None:
        ours = ours[sub]
    if key == "E_latt_eV":
        assert abs(ours - ref) <= TOL_E_LATT_EV
    elif key == "dE_eV":
        assert abs(ours - ref) <= TOL_DE_EV
    elif key in ("a_A", "c_A", "u"):  # u held to the lattice-constant tolerance
        assert abs(ours - ref) / ref * 100 <= TOL_LATTICE_PCT
    elif key == "B_GPa":
        assert abs(ours - ref) / ref * 100 <= TOL_B_PCT
    else:
        assert abs(ours - ref) / ref * 100 <= TOL_CIJ_PCT


def test_pbse_honeycomb_dE_per_cell(validation):
    """The published PbSe-HC dE (0.397 eV) is per 2-f.u. cell: twice our per-f.u. value."""
    ours = validation["phases"]["PbSe-honeycomb"]["dE_eV"]
    assert abs(2 * ours - PHASES["PbSe-honeycomb"].published["dE_eV"]) <= TOL_DE_EV


def test_validation_structure(validation):
    result = json.loads(json.dumps(validation))
    assert result["forcefield"] == "pbcdse"
    assert list(result["phases"]) == list(PHASES)
    wz, rs = result["phases"]["CdSe-wurtzite"], result["phases"]["PbSe-rocksalt"]
    assert result["reference_set"] == "pbcdse"
    assert set(wz) == {"a_A", "c_A", "u", "E_latt_eV", "dE_eV", "B_GPa", "cij_GPa",
                       "published", "deviation", "source"}
    assert set(rs) == {"a_A", "E_latt_eV", "dE_eV", "B_GPa", "cij_GPa", "published",
                       "deviation", "source"}
    assert set(wz["cij_GPa"]) == {"c11", "c12", "c13", "c33", "c44", "c66"}
    assert set(rs["deviation"]) == set(rs["published"])
    assert wz["dE_eV"] == 0.0 and rs["dE_eV"] == 0.0
    table = format_validation_table(validation)
    assert all(name in table for name in PHASES)


def test_honeycomb_cdse_is_a_saddle_point(ff, validation):
    """HC-CdSe falls to wurtzite without barrier (u = 1/2 is a maximum along u): no
    relaxed-ion c_ij exist; the validation leaves B and c_ij out."""
    r = relax_phase(ff, PHASES["CdSe-honeycomb"])
    with pytest.raises(UnstableStructureError):
        elastic_constants(r.model, r.cell.lattice_A, r.cell.positions_A)
    hc = validation["phases"]["CdSe-honeycomb"]
    assert "cij_GPa" not in hc and "B_GPa" not in hc
    assert "cij_GPa" in validation["phases"]["PbSe-honeycomb"]


def test_validation_skips_missing_species():
    result = validate_forcefield("pbcdse", phases=list(PHASES) + ["Cu2Se-antifluorite"],
                                 transitions=False)
    assert list(result["phases"]) == list(PHASES)


def test_validation_uses_the_force_fields_own_references():
    """cdse-cu-lj (003) is compared with 003's Table 4 FF column, not with 000's
    Buckingham lattice statics of the same phase names (issue 13)."""
    result = validate_forcefield("cdse-cu-lj")
    assert result["reference_set"] == "cdse-cu-lj"
    assert list(result["phases"]) == ["CdSe-wurtzite", "Cu2Se-antifluorite"]
    wz, cu2se = result["phases"]["CdSe-wurtzite"], result["phases"]["Cu2Se-antifluorite"]
    assert wz["published"] == {"a_A": 4.39, "c_A": 7.02, "u": 0.40}
    assert "E_latt_eV" not in wz["published"]  # 000's -6.026 eV does not belong to it
    assert cu2se["published"] == {"a_A": 5.666}
    assert cu2se["deviation"]["a_A"] == pytest.approx(100 * (cu2se["a_A"] - 5.666) / 5.666)
    assert result["transitions"] == {}
    assert "casu2023" in wz["source"] and "Table 4" in wz["source"]


def test_validation_without_own_references_shows_ours_only():
    """A force field whose files have no reference set gets no published values."""
    from dataclasses import replace

    from omm_cx.forcefield import load_forcefield

    ff = load_forcefield("cdse-cu-lj")
    ff = replace(ff, files=[Path("/tmp/my-cdse.yaml")])
    result = validate_forcefield(ff, transitions=False)
    assert result["reference_set"] is None
    assert result["phases"] and all(ph["published"] == {} and ph["deviation"] == {}
                                    for ph in result["phases"].values())


# ----------------------------------------------------- elastic and bulk moduli
def test_bulk_modulus_is_relaxed_volume_curvature(ff):
    """Reuss B from the c_ij equals -V dP/dV of structures relaxed at +-0.2 GPa
    (wurtzite: c/a and u relax too); for cubic phases it is (c11 + 2 c12) / 3."""
    ph = PHASES["CdSe-wurtzite"]
    r0 = relax_phase(ff, ph)
    c = elastic_constants(r0.model, r0.cell.lattice_A, r0.cell.positions_A)
    vp = relax_phase(ff, ph, pressure_GPa=0.2).volume_A3
    vm = relax_phase(ff, ph, pressure_GPa=-0.2).volume_A3
    b_ev = -r0.volume_A3 * 0.4 / (vp - vm)
    assert bulk_modulus_reuss(c) == pytest.approx(b_ev, rel=2e-3)
    rs = relax_phase(ff, PHASES["PbSe-rocksalt"])
    c = elastic_constants(rs.model, rs.cell.lattice_A, rs.cell.positions_A)
    assert bulk_modulus_reuss(c) == pytest.approx((c[0, 0] + 2 * c[0, 1]) / 3, rel=1e-9)


def test_elastic_constants_converged_and_relaxed(ff):
    """Finite-difference steps do not matter; internal relaxation lowers ZB c44."""
    r = relax_phase(ff, PHASES["CdSe-zincblende"])
    args = (r.model, r.cell.lattice_A, r.cell.positions_A)
    c1 = elastic_constants(*args)
    c2 = elastic_constants(*args, strain_step=2e-3, displacement_step_A=2e-3)
    assert np.abs(c1 - c2).max() < 1e-3
    clamped = elastic_constants(*args, relaxed_ions=False)
    assert clamped[3, 3] > c1[3, 3] + 10.0


@pytest.mark.parametrize("low, high", list(TRANSITIONS))
def test_transition_pressures(ff, low, high):
    """P_T (0 K, equal enthalpy) against the published LS values (given to 2-3 digits)."""
    p = transition_pressure(ff, PHASES[low], PHASES[high])
    assert p == pytest.approx(TRANSITIONS[(low, high)]["published"], rel=0.02)


def test_validation_reports_transition_pressures(validation):
    """validate pbcdse lists 000's transition pressures within 0.2 GPa (issue 13)."""
    t = validation["transitions"]
    assert set(t) == {f"{lo} -> {hi}" for lo, hi in TRANSITIONS}
    for (lo, hi), ref in TRANSITIONS.items():
        row = t[f"{lo} -> {hi}"]
        assert row["published_GPa"] == ref["published"]
        assert abs(row["P_GPa"] - ref["published"]) < 0.2
        assert row["deviation_GPa"] == pytest.approx(row["P_GPa"] - ref["published"])
    assert "transition" in format_validation_table(validation)


# --------------------------------------------------------------- vs OpenMM
@pytest.mark.parametrize("phase, repeats", [("PbSe-rocksalt", (4, 4, 4)),
                                            ("CdSe-wurtzite", (7, 7, 4))])
def test_engine_matches_openmm(ff, phase, repeats):
    """numpy lattice energy of the relaxed primitive cell vs OpenMM (Reference platform,
    PME with tolerance 1e-7, same 12 Å sharp cutoff) on a supercell: within 2e-6 eV/f.u."""
    import openmm as mm

    from omm_cx.forcefield.openmm_forces import CoulombSettings, create_system

    ph = PHASES[phase]
    relaxed = relax_phase(ff, ph)
    cell = ph.cell(relaxed.params, repeats=repeats)
    assert cell.perpendicular_widths_A.min() >= 2 * ff.cutoff_A
    h = cell.lattice_A  # reduced form: a along x, b in the xy plane
    assert h[0, 1] == h[0, 2] == h[1, 2] == 0.0
    system = create_system(ff, list(cell.species), h,
                           coulomb=CoulombSettings(ewald_error_tolerance=1e-7))
    context = mm.Context(system, mm.VerletIntegrator(0.001),
                         mm.Platform.getPlatformByName("Reference"))
    # A rigid shift keeps atoms off the cell faces: with an atom at x = 8e-17 Å in this
    # hexagonal box, OpenMM 8.6.1's Reference platform gave 7 meV/f.u. too high an energy
    # (at x = 6e-18 Å, or shifted by 1e-12 Å, it agrees with the lattice sum to 3e-7).
    context.setPositions(units.angstrom_to_nm(cell.positions_A + [0.1, 0.2, 0.3]))
    e_kj = context.getState(getEnergy=True).getPotentialEnergy().value_in_unit(
        mm.unit.kilojoule_per_mole)
    e_omm = units.kjmol_to_ev(e_kj) / cell.formula_units
    assert abs(e_omm - relaxed.energy_eV) < 2e-6


def test_single_point_of_a_hexagonal_cell_on_reference():
    """OpenMM's Reference platform needs a triclinic cell's atoms inside the reduced box:
    single_point wraps them, so it equals lattice statics (wurtzite CdSe, cdse-cu-lj;
    unwrapped, Reference gave -11.054 against -11.355 eV/pair)."""
    from omm_cx.crystals import get_structure
    from omm_cx.energy.single_point import single_point
    from omm_cx.io.pdb import Structure
    from omm_cx.lattice_statics.relax import relax_structure

    ff = load_forcefield("cdse-cu-lj")
    species = {"cation": "Cd", "anion": "Se"}
    relaxed = relax_structure(ff, get_structure("wurtzite"), species, {"a": 4.39, "c": 7.02, "u": 0.38})
    cell = get_structure("wurtzite").cell(species, relaxed.params["a"], relaxed.params["c"],
                                          relaxed.params["u"], repeats=(7, 7, 4))
    s = Structure(list(cell.species), cell.positions_A, cell.lattice_A)
    sp = single_point(ff, s, platform="Reference", check_overlaps=False)
    # 5e-5 eV/pair: PME at single_point's tolerance 1e-6 (the bug was 0.3 eV/pair)
    assert sp.total_eV / (len(s.species) / 2) == pytest.approx(relaxed.energy_eV, abs=5e-5)

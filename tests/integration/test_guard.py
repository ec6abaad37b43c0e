"""Buckingham-catastrophe guard: zero at physical distances, repulsive inside the barrier."""

import numpy as np
import openmm as mm
import pytest

from omm_cx import units
from omm_cx.energy.single_point import single_point
from omm_cx.forcefield import load_forcefield
from omm_cx.forcefield.guard import total_pair_energy_eV
from omm_cx.forcefield.openmm_forces import create_system, describe_walls, short_range_tables
from omm_cx.io.pdb import Structure

FF = "pbcdse+psl-cd-preferred"


def pair_structure(a, b, r_A):
    return Structure([a, b], [[0, 0, 0], [r_A, 0, 0]], None)


def test_every_wall_is_below_the_inner_maximum_and_below_2_angstrom():
    ff = load_forcefield(FF)
    walls = describe_walls(ff, list(ff.species))
    # pairs that can collapse: every cation-anion/ligand pair and Se-Se (C > 0)
    assert set(walls) == {"Cd-PSL", "Cd-Se", "PSL-Pb", "Pb-Se", "Se-Se"}
    for label, w in walls.items():
        a, b = label.split("-")
        term, qq = ff.pair(a, b), ff.charge(a) * ff.charge(b)
        r = w["r_wall_A"]
        # r_wall is a maximum of the unguarded pair potential
        u = total_pair_energy_eV(term, qq, np.array([r * 0.99, r, r * 1.01]))
        assert u[1] > u[0] and u[1] > u[2], label
        assert r < 2.0, label


@pytest.mark.parametrize("pair", [("Se", "Se"), ("Cd", "Se"), ("Pb", "Se"), ("Cd", "PSL"),
                                  ("Pb", "PSL"), ("Se", "PSL")])
@pytest.mark.parametrize("r_A", [2.0, 3.0])
def test_guard_changes_nothing_at_2_and_3_angstrom(pair, r_A):
    ff = load_forcefield(FF)
    s = pair_structure(*pair, r_A)
    with_guard = single_point(ff, s, check_overlaps=False)
    without = single_point(ff, s, guard=False, check_overlaps=False)
    assert with_guard.total_eV == without.total_eV  # exactly: the wall is zero there
    assert np.array_equal(with_guard.forces_eV_per_A, without.forces_eV_per_A)


def test_guard_makes_the_force_repulsive_inside_every_barrier():
    ff = load_forcefield(FF)
    for label, w in describe_walls(ff, list(ff.species)).items():
        a, b = label.split("-")
        for frac in (0.95, 0.7, 0.4, 0.1):
            r = w["r_wall_A"] * frac
            guarded = single_point(ff, pair_structure(a, b, r), check_overlaps=False)
            bare = single_point(ff, pair_structure(a, b, r), guard=False, check_overlaps=False)
            # force on atom 2 (at +x) must point to +x: pushed apart
            assert guarded.forces_eV_per_A[1, 0] > 0, (label, frac)
            assert bare.forces_eV_per_A[1, 0] < 0, (label, frac)  # collapses without guard


def _run_pair_md(guard: bool, r0_A=0.85, v_rel_A_per_ps=-20.0, steps=4000):
    """Two Se ions inside the Se-Se barrier (0.94 Å) moving towards each other (NVE)."""
    ff = load_forcefield("pbcdse")
    system = create_system(ff, ["Se", "Se"], None, guard=guard)
    integ = mm.VerletIntegrator(0.00002)  # 0.02 fs: the wall is stiff
    ctx = mm.Context(system, integ, mm.Platform.getPlatformByName("Reference"))
    ctx.setPositions(units.angstrom_to_nm(np.array([[0, 0, 0], [r0_A, 0, 0]])))
    v = units.angstrom_to_nm(v_rel_A_per_ps) / 2
    ctx.setVelocities([mm.Vec3(-v, 0, 0), mm.Vec3(v, 0, 0)])
    rmin = r0_A
    for _ in range(steps // 100):
        integ.step(100)
        pos = ctx.getState(getPositions=True).getPositions(asNumpy=True)._value
        r = units.nm_to_angstrom(float(np.linalg.norm(pos[1] - pos[0])))
        if not np.isfinite(r):
            return rmin, r
        rmin = min(rmin, r)
    return rmin, r


def test_se_se_pair_inside_the_barrier_is_pushed_apart():
    rmin, r_final = _run_pair_md(guard=True)
    r_wall = describe_walls(load_forcefield("pbcdse"), ["Se"])["Se-Se"]["r_wall_A"]
    assert rmin > 0.3
    assert r_wall < r_final < 100  # back outside the barrier, flying apart at a sane speed
    rmin_bare, r_bare = _run_pair_md(guard=False)
    # without the guard the pair falls through r = 0 and is thrown out absurdly fast
    assert not np.isfinite(r_bare) or r_bare > 1e6 or rmin_bare < 0.2


def test_guard_tables_reproduce_the_wall_formula():
    ff = load_forcefield(FF)
    tab = short_range_tables(ff, list(ff.species))
    w = tab.walls[("Se", "Se")]
    r = 0.5
    sp_g = single_point(ff, pair_structure("Se", "Se", r), check_overlaps=False)
    sp_b = single_point(ff, pair_structure("Se", "Se", r), guard=False, check_overlaps=False)
    assert sp_g.total_eV - sp_b.total_eV == pytest.approx(float(w.energy_eV(r)), rel=1e-10)


def test_non_periodic_system_runs_on_cpu_and_matches_reference():
    """In vacuum every nonbonded force uses all pairs (OpenMM's CPU platform refuses a
    mix of cutoff and no cutoff); the guard is folded into the short-range force there."""
    ff = load_forcefield(FF)
    s = Structure(["Pb", "Se", "Cd", "Se", "PSL", "Cd"],
                  [[0, 0, 0], [3, 0, 0], [0, 3, 0], [0, 0, 3.1], [16, 0, 0], [0.5, 0.3, 0.2]], None)
    ref = single_point(ff, s, check_overlaps=False)
    cpu = single_point(ff, s, platform="CPU", check_overlaps=False)
    assert cpu.total_eV == pytest.approx(ref.total_eV, rel=1e-5)
    system = create_system(ff, s.species, None)
    assert system.getNumForces() == 2  # Coulomb + short range with the guard inside
    # no cutoff: a Cd-PSL pair 16 Å apart (beyond 12 Å) still interacts
    far = Structure(["Cd", "PSL"], [[0, 0, 0], [16.0, 0, 0]], None)
    e = single_point(ff, far).short_range_eV
    assert e == pytest.approx(float(ff.pair("Cd", "PSL").energy_eV(16.0)), rel=1e-9)

"""Full relaxation of positions and cell (lattice_statics.relax_cell), the rocksalt /
zinc-blende {111} superlattice (crystals.interface_stack) and the reduced-cell rotation
(periodic.reduced_cell): against finite differences, the symmetric relaxation of
relax_structure, and the stacking rules. No OpenMM Context."""

from __future__ import annotations

import numpy as np
import pytest

from omm_cx.crystals.interface_stack import LOWER, UPPER, rocksalt_zincblende_stack
from omm_cx.errors import ConfigError
from omm_cx.forcefield import load_forcefield
from omm_cx.lattice_statics.lattice_sums import LatticeSum, image_pairs
from omm_cx.lattice_statics.relax_cell import relax_cell
from omm_cx.periodic import reduced_cell


@pytest.fixture(scope="module")
def ff():
    return load_forcefield("pbcdse")


def _rocksalt(a: float):
    fr = np.array([[0, 0, 0], [0, .5, .5], [.5, 0, .5], [.5, .5, 0]])
    return np.eye(3) * a, np.vstack([fr * a, (fr + [.5, 0, 0]) * a]), ["Pb"] * 4 + ["Se"] * 4


def test_analytic_gradient_matches_finite_differences(ff):
    h, pos, sp = _rocksalt(6.1)
    rng = np.random.default_rng(3)
    h = h + rng.normal(0, 0.2, (3, 3))
    pos = pos + rng.normal(0, 0.1, pos.shape)
    model = LatticeSum.from_forcefield(ff, h, pos, sp)
    grad = model.gradient(h, pos)
    num = np.zeros_like(pos)
    for i in range(len(pos)):
        for k in range(3):
            d = np.zeros_like(pos)
            d[i, k] = 1e-5
            num[i, k] = (model.energy(h, pos + d) - model.energy(h, pos - d)) / 2e-5
    assert np.abs(grad - num).max() < 1e-7  # eV/Å; the gradient itself is ~1 eV/Å
    assert np.abs(grad).max() > 0.1


def test_relax_cell_finds_the_symmetric_minimum_from_a_distorted_start(ff):
    """A rocksalt PbSe cell with every atom and the cell distorted relaxes to the cubic
    cell of relax_structure (a = 6.0863 Å with pbcdse)."""
    from omm_cx.systems.recipe_parts import relaxed_parameters

    a_ref = relaxed_parameters(ff, "rocksalt", "Pb", "Se")["a"]
    h, pos, sp = _rocksalt(6.2)
    rng = np.random.default_rng(0)
    r = relax_cell(ff, h + rng.normal(0, 0.05, (3, 3)), pos + rng.normal(0, 0.05, pos.shape), sp)
    lengths = np.linalg.norm(r.lattice_A, axis=1)
    assert np.allclose(lengths, a_ref, atol=1e-4), (lengths, a_ref)
    cosines = [r.lattice_A[i] @ r.lattice_A[j] / lengths[i] / lengths[j]
               for i, j in ((0, 1), (0, 2), (1, 2))]
    assert np.abs(cosines).max() < 1e-5
    assert r.max_force_eV_per_A < 1e-4 and np.abs(r.stress_GPa).max() < 1e-3
    assert r.energy_eV / 4 == pytest.approx(-6.0791, abs=1e-3)


def test_the_superlattice_has_one_interface_of_each_kind():
    st = rocksalt_zincblende_stack(6.09, 6.08)
    assert len(st.species) == 34 and st.species.count("Se") == 17
    i, j, n, r = image_pairs(st.lattice_A, st.positions_A, 3.4)
    unlike = np.array([(st.species[a] == "Se") != (st.species[b] == "Se") for a, b in zip(i, j)])
    bonds = np.bincount(np.concatenate([i[unlike], j[unlike]]), minlength=34)
    assert bonds[st.interfaces[UPPER]["anion_below"]] == 6
    assert bonds[st.interfaces[LOWER]["anion_below"]] == 4
    assert all(bonds[k] == 6 for k in range(1, 17, 2))  # the rocksalt Se
    assert all(bonds[k] == 4 for k in range(19, 34, 2))  # the zinc-blende Se
    with pytest.raises(ConfigError, match="2 modulo 3"):
        rocksalt_zincblende_stack(6.09, 6.08, n_rocksalt=9, n_zincblende=9)


def test_reduced_cell_is_a_rotation_into_openmm_form():
    rng = np.random.default_rng(5)
    a = 4.3
    h = np.array([[7 * a, 0, 0], [3.5 * a * (1 + 1e-7), 7 * a * np.sqrt(3) / 2, 0], [1e-3, 2e-4, 61]])
    rot = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    pos = rng.uniform(0, 1, (20, 3)) @ h
    new, p2 = reduced_cell(h @ rot.T, pos @ rot.T)
    assert new[0, 1] == new[0, 2] == new[1, 2] == 0.0 and new[2, 2] > 0
    assert abs(new[1, 0]) <= new[0, 0] / 2 and abs(new[2, 0]) <= new[0, 0] / 2
    assert abs(new[2, 1]) <= new[1, 1] / 2
    assert abs(np.linalg.det(new)) == pytest.approx(abs(np.linalg.det(h)), rel=1e-12)
    d_old = np.linalg.norm(pos[:, None] - pos[None], axis=2)
    d_new = np.linalg.norm(p2[:, None] - p2[None], axis=2)
    assert np.allclose(d_old, d_new, atol=1e-9)


@pytest.mark.slow  # ~19 s on 2 idle cores
def test_the_001_call_relaxes_both_interfaces_and_reports_them(tmp_path):
    from omm_cx.studies.interfaces import rocksalt_zincblende_interfaces

    r = rocksalt_zincblende_interfaces(tmp_path, starts=2, openmm_check=False)
    assert r["max_force_eV_per_A"] < 1e-3 and r["hexagonal_deviation_deg"] < 0.05
    assert 4.2 < r["a_A"] < 4.4 and r["openmm_max_force_eV_per_A"] is None
    assert (r["upper_se_bonds"], r["lower_se_bonds"]) == (6, 4)
    assert (r["upper_se_coherent"], r["upper_cation_coherent"]) == (0, 1)
    assert (r["lower_se_coherent"], r["lower_cation_coherent"]) == (1, 0)
    assert (tmp_path / "interfaces.png").is_file() and (tmp_path / "starts.csv").is_file()

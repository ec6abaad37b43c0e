"""Per-ion local structure (omm_cx.analysis.structure_id): perfect and noisy crystals
built here by hand (independent of omm_cx's builders), 3.5 nm particles, the core/shell
recipe against its build groups, a melt from a real OpenMM run, and the API contract."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from omm_cx.analysis.structure_id import (NOT_CLASSIFIED, PHASES, identify_phases,
                                          phase_counts)
from omm_cx.errors import AnalysisError
from omm_cx.io.pdb import read_pdb

RS, ZB, WZ, OTHER, SURF = (PHASES.index(p) for p in
                           ("rocksalt", "zincblende", "wurtzite", "other", "surface"))
NOISE_A = 0.15  # rms random displacement per Cartesian component (0.26 Å in 3D)
MELT = Path(__file__).parents[1] / "data" / "pbse_melt.pdb"

# Lattice parameters (Å): PbSe rocksalt, CdSe/CdS zinc blende, CdSe/CdS wurtzite (a, c, u)
A_PBSE, A_CDSE_ZB, A_CDS_ZB = 6.12, 6.08, 5.82
WZ_CDSE, WZ_CDS = (4.30, 7.01, 0.376), (4.136, 6.714, 0.377)


def cubic(a: float, n: int, cation: str, anion: str, offset) -> tuple[list[str], np.ndarray, np.ndarray]:
    """n^3 conventional cells of an fcc cation lattice with the anion at ``offset`` (in
    units of a): (1/2, 0, 0) rocksalt, (1/4, 1/4, 1/4) zinc blende."""
    fcc = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    cells = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    cat = (cells[:, None] + fcc[None]).reshape(-1, 3)
    an = cat + np.asarray(offset)
    return [cation] * len(cat) + [anion] * len(an), np.vstack([cat, an]) * a, np.eye(3) * n * a


def stacked(a: float, layer_A: float, bond_A: float, sequence: str, m: int, reps: int,
            cation: str, anion: str) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Close-packed bilayers stacked along z (hexagonal in-plane cell m x m, triclinic
    box): layer n at position A/B/C = (0, 0), (1/3, 2/3), (2/3, 1/3) holds the cation at
    z = n layer_A and the anion straight above it at + bond_A. 'AB' is wurtzite, 'ABC'
    zinc blende along [111], 'ABCB' the 4H polytype."""
    a1, a2 = np.array([a, 0, 0]), np.array([-a / 2, a * np.sqrt(3) / 2, 0])
    shift = {"A": (0, 0), "B": (1 / 3, 2 / 3), "C": (2 / 3, 1 / 3)}
    seq = sequence * reps
    species, pos = [], []
    for n, p in enumerate(seq):
        for i in range(m):
            for j in range(m):
                xy = (i + shift[p][0]) * a1 + (j + shift[p][1]) * a2
                species += [cation, anion]
                pos += [xy + [0, 0, n * layer_A], xy + [0, 0, n * layer_A + bond_A]]
    box = np.array([m * a1, m * a2, [0, 0, len(seq) * layer_A]])
    return species, np.array(pos), box


def wurtzite(params, m, reps, cation, anion):
    a, c, u = params
    return stacked(a, c / 2, u * c, "AB", m, reps, cation, anion)


def noisy(pos, seed=0, sigma=NOISE_A):
    return pos + np.random.default_rng(seed).normal(scale=sigma, size=pos.shape)


BULK = {
    "PbSe-rocksalt": (lambda: cubic(A_PBSE, 4, "Pb", "Se", (0.5, 0, 0)), RS),
    "CdSe-rocksalt": (lambda: cubic(5.71, 4, "Cd", "Se", (0.5, 0, 0)), RS),
    "CdSe-zincblende": (lambda: cubic(A_CDSE_ZB, 4, "Cd", "Se", (0.25, 0.25, 0.25)), ZB),
    "CdS-zincblende": (lambda: cubic(A_CDS_ZB, 4, "Cd", "S", (0.25, 0.25, 0.25)), ZB),
    "CdSe-wurtzite": (lambda: wurtzite(WZ_CDSE, 6, 3, "Cd", "Se"), WZ),
    "CdS-wurtzite": (lambda: wurtzite(WZ_CDS, 6, 3, "Cd", "S"), WZ),
    "PbS-rocksalt": (lambda: cubic(5.94, 4, "Pb", "S", (0.5, 0, 0)), RS),
}


@pytest.mark.parametrize("name", sorted(BULK))
def test_bulk_crystals_perfect_and_noisy(name):
    make, expected = BULK[name]
    species, pos, box = make()
    perfect = identify_phases(pos, species, box)
    assert perfect.dtype == np.uint8
    assert np.all(perfect == expected), phase_counts(perfect)
    codes = identify_phases(noisy(pos), species, box)
    assert np.mean(codes == expected) >= 0.95, phase_counts(codes)


def test_zincblende_along_111_and_4h_polytype_in_triclinic_boxes():
    a = A_CDSE_ZB / np.sqrt(2)                     # close-packed in-plane spacing
    layer, bond = A_CDSE_ZB / np.sqrt(3), A_CDSE_ZB * np.sqrt(3) / 4
    species, pos, box = stacked(a, layer, bond, "ABC", 6, 2, "Cd", "Se")
    assert np.all(identify_phases(pos, species, box) == ZB)
    # 4H (ABCB): layers whose two neighbours sit at the same position (A, C) are
    # hexagonal (wurtzite-like), the B layers cubic: exactly half and half
    species, pos, box = stacked(a, layer, bond, "ABCB", 6, 2, "Cd", "Se")
    codes = identify_phases(pos, species, box)
    layer_of = np.repeat(np.arange(8), 2 * 36)
    hexagonal = np.isin(layer_of % 4, (0, 2))
    assert np.all(codes[hexagonal] == WZ) and np.all(codes[~hexagonal] == ZB)
    noisy_codes = identify_phases(noisy(pos, 3), species, box)
    assert np.mean(noisy_codes == codes) >= 0.95


def test_rocksalt_in_its_primitive_rhombohedral_cell():
    a, n = A_PBSE, 4
    prim = np.array([[0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]]) * a
    cells = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    cat = cells @ prim
    pos = np.vstack([cat, cat + [a / 2, 0, 0]])
    species = ["Pb"] * len(cat) + ["Se"] * len(cat)
    codes = identify_phases(noisy(pos, 5) + [40.0, -13.0, 7.0], species, prim * n)
    assert np.mean(codes == RS) >= 0.95


def sphere_cut(species, pos, box, diameter_A):
    """Ions within diameter/2 of the box centre, in vacuum: species, positions, distance
    from the centre."""
    centre = 0.5 * box.sum(axis=0)
    r = np.linalg.norm(pos - centre, axis=1)
    keep = r <= diameter_A / 2
    return [s for s, k in zip(species, keep) if k], pos[keep] - centre, r[keep]


@pytest.mark.parametrize("name", ["PbSe-rocksalt", "CdSe-zincblende", "CdS-zincblende",
                                  "CdSe-wurtzite", "CdS-wurtzite"])
def test_particles_interior_classified_surface_marked(name):
    make, expected = BULK[name]
    species, pos, box = make()
    if expected == WZ:
        species, pos, box = wurtzite(WZ_CDSE if "Se" in name else WZ_CDS, 10, 6, "Cd",
                                     "Se" if "Se" in name else "S")
    else:
        n = int(round(box[0, 0] / (A_PBSE if expected == RS else A_CDS_ZB)))
        species, pos, box = cubic(box[0, 0] / n, 7, species[0], species[-1],
                                  (0.5, 0, 0) if expected == RS else (0.25, 0.25, 0.25))
    sp, p, r = sphere_cut(species, pos, box, 35.0)
    codes = identify_phases(noisy(p, 1), sp, None)
    interior = r < 17.5 - 5.0
    assert interior.sum() > 250
    assert np.mean(codes[interior] == expected) >= 0.95, phase_counts(codes[interior])
    outer = r > 17.5 - 2.0
    # the outermost ions: surface (or their crystal phase where the shell is complete)
    assert np.mean(np.isin(codes[outer], (SURF, expected))) >= 0.9, phase_counts(codes[outer])
    assert np.mean(codes[outer] == SURF) >= 0.5
    # the same particle in a periodic box, moved across its boundary
    box2 = np.eye(3) * 60.0
    codes2 = identify_phases(p + [-20.0, 5.0, 30.0], sp, box2)
    assert np.mean(codes2[interior] == expected) >= 0.95


def test_core_shell_recipe_matches_build_groups():
    from omm_cx.systems.recipes import build_recipe

    built = build_recipe("pbse-cdse-core-shell")       # 7 nm, 6432 ions
    s = built.structure
    codes = identify_phases(s.positions_A, s.species, s.box_A)
    core, shell = np.array(built.groups["nc_core"]), np.array(built.groups["nc_shell"])
    n_rs, n_zb = int((codes == RS).sum()), int((codes == ZB).sum())
    assert abs(n_rs - len(core)) <= 0.05 * len(core), (n_rs, len(core))
    assert np.mean(codes[core] == RS) >= 0.9
    # the shell is zinc blende except at the particle's surface: its count matches the
    # shell ions of the build that have a full first shell (>= 4 unlike ions within
    # 3.3 Å, above the zinc-blende and rocksalt bonds 2.65 and 3.06 Å, below the next
    # unlike shell at 5.1 Å), counted here with a plain k-d tree
    full = _unlike_within(s.positions_A, np.array(s.species), shell, 3.3) >= 4
    assert abs(n_zb - full.sum()) <= 0.05 * full.sum(), (n_zb, full.sum())
    # (the rest of them: anions on the interface, bonded to core Pb as well -> rocksalt)
    assert np.mean(codes[shell][full] == ZB) >= 0.85, phase_counts(codes[shell][full])
    # ions short of a full shell: surface, or zinc blende where 3 tetrahedral bonds
    # remain and the environment is not one-sided (an empty cation site under the surface)
    assert np.mean(codes[shell][~full] == SURF) >= 0.75, phase_counts(codes[shell][~full])
    assert np.mean(np.isin(codes[shell][~full], (SURF, ZB))) >= 0.95
    assert (codes == WZ).sum() <= 0.01 * len(codes)


def _unlike_within(pos, species, idx, r_A):
    """Number of unlike ions (cation vs anion) within r_A of each ion in ``idx``."""
    from scipy.spatial import cKDTree

    is_cat = np.isin(species, ["Pb", "Cd"])
    hits = cKDTree(pos).query_ball_point(pos[idx], r_A)
    return np.array([int((is_cat[h] != is_cat[i]).sum()) for i, h in zip(idx, hits)])


def test_melt_from_openmm_is_other():
    s = read_pdb(MELT, ["Pb", "Se"])
    assert len(s.species) == 512 and s.box_A is not None
    codes = identify_phases(s.positions_A, s.species, s.box_A)
    assert np.mean(codes == OTHER) >= 0.9, phase_counts(codes)
    assert np.mean(np.isin(codes, (RS, ZB, WZ))) <= 0.05


def test_nanocrystal_in_cd_psl_solution():
    """A 3.5 nm PbSe NC in a periodic Cd-PSL solution (recipe dict, as pbse-nc-cd-psl but
    smaller): NC interior rocksalt, PSL not classified, free Cd ions other."""
    from omm_cx.systems.recipes import build_recipe

    built = build_recipe({
        "name": "small-nc-psl", "forcefield": "pbcdse+psl-nonpreferential", "seed": 3,
        "box_nm": 6.0, "nanocrystal": {"shape": "sphere", "diameter_nm": 3.5,
                                       "crystal": {"structure": "rocksalt", "cation": "Pb",
                                                   "anion": "Se"}},
        "solution": {"pairs": 300, "cation": "Cd", "ligand": "PSL", "min_separation_A": 3.0}})
    s, g = built.structure, built.groups
    codes = identify_phases(s.positions_A, s.species, s.box_A)
    assert np.all(codes[g["ligands"]] == NOT_CLASSIFIED)
    nc = np.array(g["nc_cations"] + g["nc_anions"])
    centre = s.positions_A[nc].mean(axis=0)
    r = np.linalg.norm(s.positions_A[nc] - centre, axis=1)
    assert np.mean(codes[nc[r < r.max() - 6.0]] == RS) >= 0.95
    sol = np.array(g["solution_cations"])
    d_nc = np.linalg.norm(s.positions_A[sol] - centre, axis=1)
    far = sol[d_nc > r.max() + 5.0]
    assert len(far) > 100 and np.mean(codes[far] == OTHER) >= 0.95
    only_nc = identify_phases(s.positions_A, s.species, s.box_A, atoms=nc)
    assert np.array_equal(only_nc[nc], codes[nc])
    assert np.all(np.delete(only_nc, nc) == NOT_CLASSIFIED)


def test_api_contract():
    species, pos, box = cubic(A_PBSE, 3, "Pb", "Se", (0.5, 0, 0))
    species = species + ["PSL", "Cd"]
    pos = np.vstack([pos, [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0]]])
    codes = identify_phases(pos, species, box, atoms=range(10))
    assert codes.shape == (len(species),) and codes.dtype == np.uint8
    assert np.all(codes[10:] == NOT_CLASSIFIED) and np.all(codes[:10] != NOT_CLASSIFIED)
    all_codes = identify_phases(pos, species, box)
    assert all_codes[-2] == NOT_CLASSIFIED            # PSL: neither cation nor anion
    # permuting the atoms permutes the codes
    perm = np.random.default_rng(4).permutation(len(species))
    again = identify_phases(pos[perm], [species[i] for i in perm], box)
    assert np.array_equal(again, all_codes[perm])
    # custom species sets
    codes = identify_phases(pos[:-2], ["X" if s == "Pb" else "Y" for s in species[:-2]], box,
                            cations={"X"}, anions={"Y"})
    assert np.all(codes == RS)
    with pytest.raises(AnalysisError, match="species"):
        identify_phases(pos, species[:-1], box)
    with pytest.raises(AnalysisError, match="shape"):
        identify_phases(pos[:, :2], species, box)
    with pytest.raises(AnalysisError, match="cation and anion"):
        identify_phases(pos, species, box, cations={"Pb"}, anions={"Pb", "Se"})
    assert np.all(identify_phases(np.zeros((0, 3)), [], None) == NOT_CLASSIFIED)

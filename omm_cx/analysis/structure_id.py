"""Local crystal structure of every ion in one frame: rocksalt, zinc blende, wurtzite,
other (disordered) or surface, for binary ionic crystals of any species.

A documented rule of omm_cx's own (why not OVITO's PTM or freud: docs/structure_analysis.md),
vectorised over ions (numpy/scipy, no Python loop over ions):

1. **First shell.** Each cation's bonds go to anions and each anion's to cations: the
   unlike ions closer than ``min(1.3 x mean distance of the 4 nearest, 1.55 x the nearest,
   max_bond_A)`` (rocksalt: 6 at d, next unlike at 1.73 d; zinc blende and wurtzite: 4 at
   d, next unlike at 1.67-1.91 d). Like ions are never bonds.
2. **Polyhedron.** Octahedral: 6 bonds with 3 opposite pairs (cos < -0.5) and the rms
   deviation of the 15 bond-pair cosines from the ideal (-1 for the opposite pairs, 0
   for the 12 others) below 0.25. Tetrahedral: 4 bonds, rms deviation of the 6 cosines
   from -1/3 below 0.25. (0.25 is ~2.5 x the spread of a crystal whose ions are displaced
   randomly by 0.15 Å rms per component; a 4-bond fragment of an octahedron is at 0.41.)
3. **Phase.** Octahedral -> rocksalt. Tetrahedral -> look along each bond i-j: the other
   bonds of i and those of j at a tetrahedral angle (90-135 deg) to j-i that do not end
   on an octahedral ion are projected on the plane normal to the bond; the mean of
   cos(3 dphi) over all pairs of projections is +1 when eclipsed and -1 when staggered
   (> 0: eclipsed). 0 eclipsed bonds -> zinc blende, exactly 1 (the c-axis bond) ->
   wurtzite, more, or no bond testable -> not decided here. (The same information as an
   fcc vs hcp second-neighbour sublattice; in a 4H polytype the hexagonal layers come out
   wurtzite, the cubic ones zinc blende.)
4. **Surface.** An ion with at least one bond but no phase from 2-3 is *surface* when its
   environment is one-sided: the centroid of all cations and anions within 2.5 x its
   mean bond length lies more than 0.17 x that radius from it (a filled half-sphere gives
   0.375; measured: under-coordinated ions of a 4.7 nm PbSe sphere >= 0.24, every ion of
   the PbSe melt <= 0.10).
5. **Interfaces.** Otherwise, with at least 3 bonds, it takes the phase (from 2-3) of a
   strict majority of its bonded neighbours: anions on a coherent interface, e.g. the
   rocksalt/zinc-blende interface of a core/shell particle on one anion sublattice, have
   a mixed octahedral + tetrahedral shell; an ion whose own shell is distorted by
   thermal motion inside a crystal is recovered the same way. Else *other*. Ions
   without bonds (ions in solution) are *other*.

Codes are indices into :data:`PHASES`; atoms that are neither cations nor anions (PSL, or
not asked for) get :data:`NOT_CLASSIFIED`. Cost: about 0.1-0.2 s per frame of 10,000 ions
(benchmarks/phase_analysis.py).
"""

from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

from omm_cx.analysis.structure_geometry import (FirstShells, centroid_offset, eclipsed_bonds,
                                                first_shells, polyhedra)
from omm_cx.errors import AnalysisError

PHASES: tuple[str, ...] = ("other", "rocksalt", "zincblende", "wurtzite", "surface")
OTHER, ROCKSALT, ZINCBLENDE, WURTZITE, SURFACE = range(5)
#: Code of atoms that are not classified (PSL, or atoms not asked for).
NOT_CLASSIFIED: int = 255
CATIONS = frozenset({"Pb", "Cd", "Cu", "Zn", "Hg"})
ANIONS = frozenset({"S", "Se", "Te", "O"})
#: Longest cation-anion bond considered (Å): 1.3 x the PbTe bond (3.23 Å).
MAX_BOND_A = 4.2
#: Surface test: neighbourhood radius in bond lengths, and the centroid offset (fraction
#: of that radius) above which an environment is one-sided.
SURFACE_RADIUS = 2.5
SURFACE_OFFSET = 0.17


def identify_phases(xyz_A: np.ndarray, species: Sequence[str], box_A: np.ndarray | None = None,
                    *, atoms: Iterable[int] | None = None, cations: Iterable[str] = CATIONS,
                    anions: Iterable[str] = ANIONS, max_bond_A: float = MAX_BOND_A) -> np.ndarray:
    """Phase code per atom (N,) uint8: an index into :data:`PHASES`, or
    :data:`NOT_CLASSIFIED` for atoms that are not asked for or not cations/anions.

    Parameters
    ----------
    xyz_A
        Positions (N, 3) in Å.
    species
        Element name per atom (length N), e.g. ``"Pb"``, ``"Se"``, ``"PSL"``.
    box_A
        Box (3, 3), rows are the box vectors in Å (triclinic allowed), or ``None`` (vacuum).
    atoms
        Indices of the atoms to classify (default: every cation and anion). Neighbours are
        always taken from all cations and anions of the frame.
    cations, anions
        Species names of the two sublattices.
    max_bond_A
        Longest cation-anion bond considered (Å).
    """
    xyz = np.asarray(xyz_A, dtype=np.float64)
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise AnalysisError(f"identify_phases: positions must have shape (N, 3), got {xyz.shape}")
    sp = np.asarray([str(s) for s in species])
    if len(sp) != len(xyz):
        raise AnalysisError(f"identify_phases: {len(sp)} species for {len(xyz)} positions")
    cations, anions = frozenset(cations), frozenset(anions)
    both = cations & anions
    if both:
        raise AnalysisError(f"identify_phases: species {sorted(both)} given as cation and anion")
    box = None if box_A is None else np.asarray(box_A, dtype=np.float64).reshape(3, 3)
    if box is not None and not abs(np.linalg.det(box)) > 0:
        raise AnalysisError("identify_phases: the box is singular; pass box_A=None for vacuum")
    is_cat, is_an = np.isin(sp, sorted(cations)), np.isin(sp, sorted(anions))
    out = np.full(len(xyz), NOT_CLASSIFIED, dtype=np.uint8)
    if not (is_cat.any() or is_an.any()):
        return out
    shells = first_shells(xyz, is_cat, is_an, box, max_bond_A)
    codes = _classify(xyz, shells, box)
    want = _selection(atoms, len(xyz))
    ion = shells.row >= 0
    pick = want & ion
    out[pick] = codes[shells.row[pick]]
    return out


def _selection(atoms: Iterable[int] | None, n: int) -> np.ndarray:
    """Boolean (n,) mask of the atoms asked for."""
    want = np.zeros(n, dtype=bool)
    if atoms is None:
        want[:] = True
        return want
    idx = np.asarray(list(atoms) if not isinstance(atoms, np.ndarray) else atoms)
    if idx.size == 0:
        return want
    if idx.dtype == bool:
        if idx.shape != (n,):
            raise AnalysisError(f"identify_phases: boolean atoms mask of shape {idx.shape}, "
                                f"expected ({n},)")
        return idx.copy()
    idx = idx.astype(int)
    if idx.min() < -n or idx.max() >= n:
        raise AnalysisError(f"identify_phases: atom index out of range 0..{n - 1}")
    want[idx] = True
    return want


def _classify(xyz: np.ndarray, shells: FirstShells, box) -> np.ndarray:
    """Phase code per ion row (M,) uint8 (steps 2-5 of the module docstring)."""
    n = shells.n_bonds
    octa, tetra = polyhedra(shells)
    nb_row = shells.row[np.maximum(shells.nbr, 0)]
    phase = np.full(len(n), OTHER, dtype=np.uint8)
    phase[octa] = ROCKSALT
    tet_rows = np.flatnonzero(tetra)
    n_ecl, n_tested = eclipsed_bonds(shells, tet_rows, octa)
    phase[tet_rows[(n_ecl == 0) & (n_tested > 0)]] = ZINCBLENDE
    phase[tet_rows[(n_ecl == 1) & (n_tested > 0)]] = WURTZITE
    crystal = phase.copy()
    cand = np.flatnonzero((phase == OTHER) & (n >= 1))
    if len(cand) == 0:
        return phase
    radius = SURFACE_RADIUS * shells.bond_length_A()[cand]
    offset = centroid_offset(xyz, shells.ions, shells.ions[cand], radius, box)
    one_sided = offset > SURFACE_OFFSET
    phase[cand[one_sided]] = SURFACE
    inner = cand[~one_sided & (n[cand] >= 3)]
    nb_phase = np.where(shells.mask[inner], crystal[nb_row[inner]], OTHER)
    counts = (nb_phase[:, :, None] == np.arange(1, 4)[None, None, :]).sum(axis=1)
    best = counts.argmax(axis=1)
    wins = 2 * counts[np.arange(len(inner)), best] > n[inner]
    phase[inner[wins]] = (best[wins] + 1).astype(np.uint8)
    return phase


def phase_counts(codes: np.ndarray, species: Sequence[str] | None = None) -> dict:
    """Number of atoms per phase name (codes from :func:`identify_phases`); with
    ``species``, a dict per species."""
    codes = np.asarray(codes)
    if species is None:
        return {name: int((codes == k).sum()) for k, name in enumerate(PHASES)}
    sp = np.asarray(species)
    return {s: {name: int(((codes == k) & (sp == s)).sum()) for k, name in enumerate(PHASES)}
            for s in sorted(set(sp[codes != NOT_CLASSIFIED].tolist()))}

"""Surface energies of non-polar crystal faces by lattice statics (000 Tables S8, S9).

    E_surf = (E_slab - E_bulk) / (2 A)

``E_bulk``: the same atoms in the same orthogonal cell, periodic along the normal (no
vacuum); ``E_slab``: the cell opened along the normal by ``vacuum_A`` of vacuum, the atom
positions relaxed at fixed box (OpenMM's L-BFGS minimizer); ``A``: the cell's area
normal to the face. Both with the force field's own cut-offs and PME (Ewald tolerance
1e-6), so the difference is the cost of the two faces. The slab is cut through the widest
gap between atomic planes (fewest broken bonds: the non-polar, stoichiometric
termination of rocksalt {100}/{110} and the type-I termination of wurtzite {10-10});
a face whose repeat unit has a dipole along the normal (a polar face) is refused.

Faces are given by three integer lattice vectors in conventional lattice coordinates
(:data:`FACE_CELLS`): two in the face, the third along its normal. The lateral cell is
repeated until it is at least twice the force-field cutoff wide (PME needs it), the
slab until it is ``thickness_A`` thick (and twice the cutoff: the bulk cell needs it). 1 eV/Å^2 = 16.0218 J/m^2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from omm_cx.energy.defects import relaxed_energy_eV
from omm_cx.errors import StructureError
from omm_cx.forcefield.params import ForceField

#: J/m^2 per eV/Å^2.
J_PER_M2_PER_EV_PER_A2 = 16.021766
#: (structure name, face) -> three lattice vectors (rows, conventional lattice coordinates):
#: two spanning the face, the last along its normal; mutually orthogonal.
FACE_CELLS: dict[tuple[str, str], tuple[tuple[float, ...], ...]] = {
    ("rocksalt", "100"): ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    ("rocksalt", "110"): ((0.5, -0.5, 0), (0, 0, 1), (0.5, 0.5, 0)),
    ("zincblende", "110"): ((0.5, -0.5, 0), (0, 0, 1), (0.5, 0.5, 0)),
    # hexagonal: a1 = (a, 0, 0), a2 = (-a/2, a sqrt3/2, 0); a1 + 2 a2 is along y
    ("wurtzite", "11-20"): ((1, 2, 0), (0, 0, 1), (1, 0, 0)),
    ("wurtzite", "10-10"): ((0, 0, 1), (1, 0, 0), (1, 2, 0)),
    # polar faces: listed so that asking for them says why they are refused
    ("zincblende", "100"): ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    ("wurtzite", "0001"): ((1, 0, 0), (1, 2, 0), (0, 0, 1)),
}

#: Published surface energies of a force field (by parameter-file name): (phase, face,
#: published lattice-statics value J/m^2, DFT J/m^2, source).
SURFACE_REFERENCES: dict[str, list[tuple[str, str, float, float, str]]] = {
    "pbcdse": [
        ("CdSe-wurtzite", "11-20", 0.26, 0.50, "000 Table S8"),
        ("CdSe-wurtzite", "10-10", 0.25, 0.46, "000 Table S8"),
        ("PbSe-rocksalt", "100", 0.29, 0.18, "000 Table S9"),
        ("PbSe-rocksalt", "110", 0.49, 0.32, "000 Table S9"),
    ],
}


@dataclass
class SurfaceEnergy:
    """A face's surface energy (J/m^2) relaxed and unrelaxed, and the cell it came from."""

    face: str
    E_surf_J_m2: float
    E_surf_unrelaxed_J_m2: float
    area_A2: float
    n_atoms: int
    thickness_A: float
    vacuum_A: float
    lateral_A: tuple[float, float]

    def as_dict(self) -> dict:
        return dict(self.__dict__, lateral_A=list(self.lateral_A))


def face_cell(structure, species: Mapping[str, str], params: Mapping[str, float], face: str
              ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Species, positions (N, 3) Å and the diagonal box lengths (3,) Å of the orthogonal
    cell of ``face`` (normal along z), atoms wrapped into it."""
    key = (structure.name, face)
    if key not in FACE_CELLS:
        raise StructureError(f"no surface cell for {structure.name} {{{face}}}; known: "
                             + ", ".join(f"{s} {{{f}}}" for s, f in FACE_CELLS))
    h = structure.lattice_vectors(params["a"], params.get("c"))
    cell = np.asarray(FACE_CELLS[key], float) @ h  # rows, Cartesian
    lengths = np.linalg.norm(cell, axis=1)
    if np.max(np.abs((cell / lengths[:, None]) @ (cell / lengths[:, None]).T - np.eye(3))) > 1e-8:
        raise StructureError(f"{structure.name} {{{face}}}: the face cell is not orthogonal")
    roles, frac = structure.conventional_sites(params.get("u"))
    basis = frac @ h
    n = int(np.ceil(lengths.max() / np.linalg.norm(h, axis=1).min())) + 1
    grid = np.array(np.meshgrid(*[np.arange(-n, n + 1)] * 3, indexing="ij")).reshape(3, -1).T @ h
    pos = (grid[:, None, :] + basis[None]).reshape(-1, 3)
    f = pos @ np.linalg.inv(cell)
    keep = np.all((f >= -1e-7) & (f < 1 - 1e-7), axis=1)
    xyz = (f[keep] % 1.0) * lengths
    names = [species[r] for r in roles] * len(grid)
    return [names[i] for i in np.flatnonzero(keep)], xyz, lengths


def _cut_at_widest_gap(z: np.ndarray, period: float) -> float:
    planes = np.unique(np.round(np.sort(z % period), 4))
    gaps = np.diff(np.concatenate([planes, [planes[0] + period]]))
    k = int(np.argmax(gaps))
    return float(planes[k] + 0.5 * gaps[k])


def surface_energy(ff: ForceField, structure, species: Mapping[str, str],
                   params: Mapping[str, float], face: str, *, thickness_A: float = 20.0,
                   vacuum_A: float = 30.0, platform: str | None = "CPU") -> SurfaceEnergy:
    """Relaxed and unrelaxed surface energy (J/m^2) of ``face`` of a crystal (module
    docstring); ``params``: a, c (Å) and u, e.g. relaxed in ``ff``."""
    names, xyz, lengths = face_cell(structure, species, params, face)
    cut = _cut_at_widest_gap(xyz[:, 2], lengths[2])
    xyz[:, 2] = (xyz[:, 2] - cut) % lengths[2]
    q = np.array([ff.species[s].charge_e for s in names])
    dipole = float(np.sum(q * xyz[:, 2]))
    if abs(dipole) > 1e-6 * len(names) * lengths[2]:
        raise StructureError(f"{structure.name} {{{face}}} is polar (dipole {dipole:.3g} e Å per "
                             f"repeat along the normal): not supported")
    min_width = 2.0 * ff.cutoff_A + 0.1  # PME: every width at least twice the cutoff
    reps = [int(np.ceil(min_width / lengths[i])) for i in range(2)]
    reps.append(int(np.ceil(max(thickness_A, min_width) / lengths[2])))
    shifts = np.array(np.meshgrid(*[np.arange(r) for r in reps], indexing="ij")).reshape(3, -1).T
    pos = (shifts[:, None, :] * lengths + xyz[None]).reshape(-1, 3)
    species_all = names * len(shifts)
    box = np.diag(lengths * reps)
    e_bulk, _ = relaxed_energy_eV(ff, species_all, pos, box, platform=platform)
    slab_box = box.copy()
    slab_box[2, 2] += vacuum_A
    e_unrelaxed, _ = relaxed_energy_eV(ff, species_all, pos, slab_box, relax=False, platform=platform)
    e_slab, _ = relaxed_energy_eV(ff, species_all, pos, slab_box, platform=platform)
    area = float(box[0, 0] * box[1, 1])
    to_j = J_PER_M2_PER_EV_PER_A2 / (2.0 * area)
    return SurfaceEnergy(face, (e_slab - e_bulk) * to_j, (e_unrelaxed - e_bulk) * to_j, area,
                         len(species_all), float(box[2, 2]), float(vacuum_A),
                         (float(box[0, 0]), float(box[1, 1])))


def validate_surfaces(ff: ForceField, platform: str | None = "CPU", **kw) -> list[dict]:
    """The published surface energies of ``ff``'s own references (:data:`SURFACE_REFERENCES`)
    beside ours, at the lattice parameters relaxed in ``ff``; [] when none belong to it."""
    from pathlib import Path

    from omm_cx.crystals import get_phase
    from omm_cx.lattice_statics.relax import relax_phase

    name = next((Path(f).stem for f in ff.files if Path(f).stem in SURFACE_REFERENCES), None)
    rows, relaxed = [], {}
    for phase_name, face, published, dft, source in SURFACE_REFERENCES.get(name or "", []):
        phase = get_phase(phase_name)
        if phase_name not in relaxed:
            relaxed[phase_name] = relax_phase(ff, phase).params
        s = surface_energy(ff, phase.structure, dict(phase.species), relaxed[phase_name], face,
                           platform=platform, **kw)
        rows.append({"phase": phase_name, "face": face, "E_surf_J_m2": s.E_surf_J_m2,
                     "E_surf_unrelaxed_J_m2": s.E_surf_unrelaxed_J_m2, "published_J_m2": published,
                     "published_dft_J_m2": dft, "deviation_J_m2": s.E_surf_J_m2 - published,
                     "source": source, "n_atoms": s.n_atoms, "area_A2": s.area_A2,
                     "thickness_A": s.thickness_A, "vacuum_A": s.vacuum_A})
    return rows


def format_surfaces(rows: list[dict]) -> str:
    """The rows of :func:`validate_surfaces` as a table (J/m^2)."""
    if not rows:
        return "no published surface energies belong to this force field"
    lines = ["surface energies (J/m^2; slab relaxed at fixed box, force-field cut-offs, PME)",
             f"{'phase':16s} {'face':7s} {'omm_cx':>8s} {'unrelaxed':>9s} {'paper':>7s} "
             f"{'dev':>7s}  source"]
    for r in rows:
        lines.append(f"{r['phase']:16s} {{{r['face']}}}{'':{max(0, 5 - len(r['face']))}s} "
                     f"{r['E_surf_J_m2']:8.3f} {r['E_surf_unrelaxed_J_m2']:9.3f} "
                     f"{r['published_J_m2']:7.2f} {r['deviation_J_m2']:+7.3f}  {r['source']}")
    return "\n".join(lines)

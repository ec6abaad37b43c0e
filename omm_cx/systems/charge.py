"""Charge neutrality and vacancies of nanocrystals, by stated deterministic rules."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from omm_cx.systems.lattice import Atoms
from omm_cx.errors import StructureError
from omm_cx.periodic import NeighborSearch

#: The rule applied by :func:`neutralize`, recorded in build.json.
NEUTRALITY_RULE = (
    "cut centred on the midpoint of a nearest-neighbour cation-anion bond (exactly "
    "stoichiometric for rocksalt, zincblende and CsCl spheres); any remaining surplus "
    "charge removed as the least-coordinated surplus ions (fewest counter-ions within "
    "1.2 x the nearest-neighbour distance; ties: farthest from the centre, then highest "
    "index), one at a time until neutral"
)


@dataclass
class Removal:
    """Ions removed by a rule: species, position (Å) and why."""

    records: list[dict] = field(default_factory=list)

    def add(self, atoms: Atoms, idx, reason: str) -> None:
        for i in np.atleast_1d(idx):
            self.records.append({"species": atoms.species[i], "role": atoms.roles[i],
                                 "position_A": [round(float(x), 4) for x in atoms.positions_A[i]],
                                 "reason": reason})


def _coordination(atoms: Atoms, cutoff_A: float, period_z_A: float | None) -> np.ndarray:
    pos = atoms.positions_A
    if period_z_A:
        shift = pos.min(axis=0) - 1.0
        p = pos - shift
        p[:, 2] %= period_z_A
        big = p.max(axis=0) + 10 * cutoff_A  # x, y: a box too wide to wrap anything
        search = NeighborSearch(p, np.diag([big[0], big[1], period_z_A]))
    else:
        p, search = pos, NeighborSearch(pos, None)
    counts = np.zeros(len(atoms), dtype=int)
    roles = np.array(atoms.roles)
    for i, js in enumerate(search.within(p, cutoff_A)):
        counts[i] = int(np.sum(roles[js] != roles[i]))
    return counts


def nearest_neighbour_distance(atoms: Atoms) -> float:
    """Shortest cation-anion distance (Å)."""
    roles = np.array(atoms.roles)
    cat, an = atoms.positions_A[roles == "cation"], atoms.positions_A[roles == "anion"]
    d, _ = NeighborSearch(an, None).nearest(cat[: min(len(cat), 200)], 1)
    return float(np.min(d))


def neutralize(atoms: Atoms, charges: dict[str, float], removal: Removal,
               period_z_A: float | None = None, tol_e: float = 1e-6) -> Atoms:
    """Remove least-coordinated surplus ions until the net charge is zero (see
    :data:`NEUTRALITY_RULE`). Raises :class:`StructureError` if no removal sequence reaches
    zero (e.g. charges that are not commensurate)."""
    q = np.array([charges[s] for s in atoms.species])
    net = float(q.sum())
    if abs(net) <= tol_e:
        return atoms
    cutoff = 1.2 * nearest_neighbour_distance(atoms)
    keep = np.ones(len(atoms), dtype=bool)
    r = np.linalg.norm(atoms.positions_A[:, :2] if period_z_A else atoms.positions_A, axis=1)
    while abs(net) > tol_e:
        sign = np.sign(net)
        current = atoms.take(keep)
        idx_map = np.nonzero(keep)[0]
        coord = _coordination(current, cutoff, period_z_A)
        qc = q[keep]
        cand = np.nonzero((np.sign(qc) == sign) & (np.abs(qc) <= abs(net) + tol_e))[0]
        if len(cand) == 0:
            raise StructureError(
                f"cannot make the nanocrystal neutral by removing ions: net charge "
                f"{net:+.4f} e and no ion of that sign with |q| <= |net|; use "
                f"charge_policy: background"
            )
        # fewest counter-ions first, then farthest from the centre, then highest index
        order = np.lexsort((-idx_map[cand], -r[idx_map[cand]], coord[cand]))
        pick = idx_map[cand[order[0]]]
        keep[pick] = False
        removal.add(atoms, pick, "charge neutrality (least-coordinated surplus ion)")
        net -= q[pick]
    return atoms.take(keep)


def add_vacancies(atoms: Atoms, species: str, fraction: float, rng: np.random.Generator,
                  removal: Removal, charges: dict[str, float],
                  compensate: str = "anions") -> Atoms:
    """Remove ``fraction`` of the ``species`` ions at random (seeded). ``compensate``:
    'anions' also removes randomly chosen anions carrying the opposite total charge
    (Schottky pairs, keeps neutrality where charges allow); 'none' leaves the vacancies
    charged (the build's charge policy must then allow a net charge)."""
    if not 0 <= fraction < 1:
        raise StructureError(f"vacancy fraction {fraction} must be in [0, 1)")
    idx = np.array([i for i, s in enumerate(atoms.species) if s == species])
    n = int(round(fraction * len(idx)))
    if n == 0:
        return atoms
    chosen = np.sort(rng.choice(idx, n, replace=False))
    removal.add(atoms, chosen, f"random {species} vacancy ({fraction:.3g} of {species})")
    keep = np.ones(len(atoms), dtype=bool)
    keep[chosen] = False
    if compensate == "anions":
        q_removed = n * charges[species]
        anions = np.array([i for i, r in enumerate(atoms.roles) if r == "anion"])
        q_an = charges[atoms.species[anions[0]]]
        m = int(round(-q_removed / q_an))
        if abs(m * q_an + q_removed) > 1e-6:
            raise StructureError(
                f"{n} {species} vacancies ({q_removed:+.3f} e) cannot be compensated by whole "
                f"anions of {q_an:+.3f} e; use compensate: none with charge_policy: background"
            )
        comp = np.sort(rng.choice(anions, m, replace=False))
        removal.add(atoms, comp, "anion removed to compensate the vacancies")
        keep[comp] = False
    elif compensate != "none":
        raise StructureError(f"vacancies.compensate must be 'anions' or 'none', not {compensate!r}")
    return atoms.take(keep)

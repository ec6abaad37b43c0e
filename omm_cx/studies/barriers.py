"""casu2023's straight-path barriers on its two CdSe nanowires (Table 1, steps b and d):
the call of study 003-barriers.

One call is one jittered start, the study's seed picking the jitter, so the 30 starts of
casu2023 are 30 runs (seeds) and the report's t-interval is over starts. Per call:

1. the wire of ``recipe`` is built (``cdse-nanowire-cu`` or ``cdse-nanowire-zb-cu``), the
   Cu bath is removed but for its first Cu (casu2023 moves "a single Cu atom"), and the
   bare wire is minimized (L-BFGS, fixed box; casu2023 minimized its wires);
2. three paths from the sites found in that wire (:func:`omm_cx.energy.sites.auto_path`):
   ``b``, the Cu from the surface adsorption site into the interstitial cage below it;
   ``d_swap``, casu2023's step d as printed, the Cu at that cage and the NC's Cd closest
   to it exchanging places (:func:`closest_swap`; their straight lines cross, so the two
   ions pass close to each other half way); ``d_cage``, omm_cx's kick-off variant, the
   Cd sent on to the nearest cage on its far side while the Cu takes its site;
3. each path with ``points`` points, the other atoms relaxed at each point (``relax``),
   the Cu's start jittered uniformly within ±``jitter_A`` per axis
   (:func:`omm_cx.energy.path.straight_path`, ``seed``).

Per path the result holds both readings of the barrier (the highest point minus the
start, and casu2023's: the point just before the steepest drop, minus the start), end
minus start, the profile, the closest approach of the two moving ions, and the
configuration at the highest point (each moving ion's nearest neighbours there, after the
relaxation, and the two ions' distance) and the closest any moving ion came to another
atom along the path. Energies in eV, distances in Å (minimum image).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from omm_cx.energy.sites import AutoPath
from omm_cx.errors import StructureError
from omm_cx.io.pdb import Structure
from omm_cx.periodic import minimum_image

__all__ = ["wire_barriers", "prepared_wire", "closest_swap", "path_record", "PATHS"]

#: The paths of one call, in order: casu2023's step b, its step d as printed, omm_cx's
#: cage variant of step d.
PATHS = ("b", "d_swap", "d_cage")


def prepared_wire(recipe: str, *, ion: str = "Cu", platform: str | None = None,
                  ewald_tolerance: float = 1e-4,
                  minimize_tolerance_eV_per_A: float = 0.001):
    """(force field, structure, build record, ion index): the NC of ``recipe`` minimized
    alone (fixed box), with the build's first solution ``ion`` after it at its built
    position and every other solution ion removed; the record's groups renumbered."""
    from omm_cx import units
    from omm_cx.energy.defects import relaxed_energy_eV
    from omm_cx.energy.sites import default_ion
    from omm_cx.forcefield import load_forcefield
    from omm_cx.systems.recipes import build_recipe

    built = build_recipe(recipe)
    st, info = built.structure, dict(built.info)
    ff = load_forcefield(info["forcefield"])
    cations, anions = sorted(info["groups"]["nc_cations"]), sorted(info["groups"]["nc_anions"])
    nc = cations + anions
    keep = default_ion(st, info, ion)
    species = [st.species[i] for i in nc]
    _, relaxed = relaxed_energy_eV(
        ff, species, st.positions_A[nc], st.box_A, platform=platform,
        ewald_tolerance=ewald_tolerance,
        tolerance_kjmol_nm=units.ev_per_angstrom_to_kjmol_nm(minimize_tolerance_eV_per_A))
    structure = Structure(species + [ion], np.vstack([relaxed, st.positions_A[[keep]]]),
                          st.box_A, f"{recipe} (NC minimized, one {ion})")
    n_cat = len(cations)
    info["groups"] = {"nc_cations": list(range(n_cat)), "nc_anions": list(range(n_cat, len(nc))),
                      "solution_cations": [len(nc)], "solution_anions": []}
    return ff, structure, info, len(nc)


def closest_swap(structure: Structure, nc: np.ndarray, atom: int,
                 host_species: str = "Cd") -> tuple[int, dict[int, np.ndarray]]:
    """casu2023's step d as printed ("swapping the interstitial Cu atom and the closest Cd
    atom"): (partner, moves) where the partner is the NC's ``host_species`` atom closest
    to ``atom`` (minimum image) and the moves exchange exactly those two positions, each
    end in the image nearest the other's start."""
    pos, box = structure.positions_A, structure.box_A
    hosts = np.array([i for i in np.asarray(nc, int)
                      if structure.species[i] == host_species and i != atom], int)
    if len(hosts) == 0:
        raise StructureError(f"no {host_species} in the NC to swap with atom {atom}")
    d = np.linalg.norm(minimum_image(pos[hosts] - pos[atom], box), axis=1)
    partner = int(hosts[int(np.argmin(d))])
    step = minimum_image(pos[partner] - pos[atom], box)
    return partner, {atom: pos[atom] + step, partner: pos[partner] - step}


def _pair_min_A(profile, box) -> float | None:
    """Closest approach (Å, minimum image) of two moving atoms along their straight lines
    (sample 0), or None for one moving atom."""
    if len(profile.moving) != 2:
        return None
    start, end = profile.start_A[0], profile.end_A
    d0 = minimum_image(start[0] - start[1], box)
    v = (end[0] - start[0]) - (end[1] - start[1])
    s = float(np.clip(-(d0 @ v) / (v @ v), 0.0, 1.0)) if v @ v > 0 else 0.0
    return float(np.linalg.norm(d0 + s * v))


def _neighbours(pos: np.ndarray, species: list[str], box, i: int, n: int = 4) -> list:
    d = np.linalg.norm(minimum_image(pos - pos[i], box), axis=1)
    d[i] = np.inf
    return [[species[j], round(float(d[j]), 3)] for j in np.argsort(d)[:n]]


def _geometry(profile, structure: Structure, top: int) -> dict:
    """From the kept positions (sample 0): the moving ions' nearest neighbours at the
    highest point, their distance there (two ions), and the closest any moving ion came
    to another atom along the path (after each point's relaxation)."""
    box, sp = structure.box_A, structure.species
    pos = profile.positions_A[0]
    out: dict = {"at_max": {str(int(i)): {"species": sp[int(i)], "neighbours":
                                          _neighbours(pos[top], sp, box, int(i))}
                            for i in profile.moving}}
    if len(profile.moving) == 2:
        a, b = (int(i) for i in profile.moving)
        out["pair_at_max_A"] = float(np.linalg.norm(minimum_image(pos[top, a] - pos[top, b], box)))
    best = (np.inf, 0, 0, 0)
    for m, frame in enumerate(pos):
        for i in profile.moving:
            d = np.linalg.norm(minimum_image(frame - frame[int(i)], box), axis=1)
            d[int(i)] = np.inf
            j = int(np.argmin(d))
            if d[j] < best[0]:
                best = (float(d[j]), m, int(i), j)
    out.update(closest_A=best[0], closest_fraction=float(profile.fraction[best[1]]),
               closest_pair=[sp[best[2]], sp[best[3]]])
    return out


def path_record(profile, structure: Structure) -> dict:
    """One start's path (sample 0) as result.json keeps it: barriers, end - start, the
    profile, the moving ions' closest approach along their lines (``pair_min_A``) and,
    with ``keep_positions``, the configuration at the highest point (:func:`_geometry`)."""
    e = profile.energy_eV[0]
    top = int(np.argmax(e))
    rec = {"barrier_eV": float(profile.barrier_eV[0]),
           "barrier_003_eV": float(profile.barrier_003_eV[0]),
           "reaction_eV": float(profile.reaction_eV[0]),
           "fraction": profile.fraction.tolist(), "energy_eV": e.tolist(),
           "max_fraction": float(profile.fraction[top]),
           "path_length_A": float(np.linalg.norm(profile.end_A - profile.start_A[0], axis=1).max()),
           "moving": profile.moving.tolist(), "start_A": profile.start_A[0].tolist(),
           "end_A": profile.end_A.tolist(), "pair_min_A": _pair_min_A(profile, structure.box_A)}
    if profile.positions_A is not None:
        rec.update(_geometry(profile, structure, top))
    return rec


def _paths(structure: Structure, info: dict, atom: int) -> dict[str, AutoPath]:
    from omm_cx.energy.sites import auto_path, nc_indices

    entry = auto_path("entry", structure, info, atom)
    cage = auto_path("kickoff", structure, info, atom)
    partner, moves = closest_swap(cage.structure, nc_indices(info), atom)
    swap = AutoPath(cage.structure, moves, [atom], {
        **{k: v for k, v in cage.description.items() if not k.startswith("partner")},
        "kind": "swap", "partner": partner, "partner_distance_A": float(
            np.linalg.norm(moves[atom] - cage.structure.positions_A[atom])),
        "rule": "the Cu at the interstitial cage and the NC's closest Cd exchange places"})
    return {"b": entry, "d_swap": swap, "d_cage": cage}


def wire_barriers(out_dir: Path, recipe: str = "cdse-nanowire-cu", seed: int = 1,
                  points: int = 21, relax: str = "others", jitter_A: float = 1.0,
                  ewald_tolerance: float = 1e-4, minimize_tolerance_eV_per_A: float = 0.01,
                  paths: list | None = None, platform: str | None = None, **_ignored) -> dict:
    """One jittered start of casu2023's steps b and d on the wire of ``recipe`` (module
    docstring); writes ``<path>/path.csv, path.json, path.png`` into ``out_dir`` and
    returns {path: :func:`path_record`} with the wire's sites."""
    from omm_cx.energy.path import straight_path, write_path

    ff, structure, info, atom = prepared_wire(recipe, platform=platform,
                                              ewald_tolerance=ewald_tolerance)
    found = _paths(structure, info, atom)
    out: dict = {"recipe": recipe, "seed": int(seed), "n_atoms": len(structure.species),
                 "ion": atom, "jitter_A": jitter_A, "points": points, "relax": relax}
    for name in paths or PATHS:
        if name not in found:
            raise StructureError(f"unknown path {name!r}; paths: {', '.join(PATHS)}")
        p = found[name]
        prof = straight_path(ff, p.structure, p.moves, n_points=int(points), relax=relax,
                             samples=1, jitter_A=float(jitter_A), seed=int(seed),
                             platform=platform, ewald_error_tolerance=float(ewald_tolerance),
                             minimize_tolerance_eV_per_A=float(minimize_tolerance_eV_per_A),
                             allow_net_charge=True, jitter_atoms=p.jitter_atoms,
                             keep_positions=True)
        write_path(Path(out_dir) / name, prof, p.moves, source=recipe, forcefield=ff.name,
                   sites=p.description)
        out[name] = {**path_record(prof, p.structure), "sites": p.description}
    return out

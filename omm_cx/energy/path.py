"""Energy along a straight path: some atoms move in a straight line from their positions
to given end points while the energy is computed at evenly spaced points (003's
energy landscapes for a Cu entering a CdSe nanowire and for the kick-off swap).

Optionally the other atoms are relaxed at each point with the moving atoms held fixed
(``relax="others"``, L-BFGS, each point starting from the previous one's relaxed
structure), and the start of the path is jittered over several samples, as 003 does
("30 different simulations where we changed the Cu initial positions along each
Cartesian axis by a maximum value as large as 1 Å"): uniform in [-jitter, +jitter] Å per
axis, the end points fixed.

Energies in eV relative to each sample's start; barrier = the highest point minus the
start; ``barrier_003_eV`` = the barrier as 003 reads its landscapes: the energy of the
point just before the sudden decrease (the steepest drop between two points) minus the
start (the highest point where the profile has no drop); reaction energy = end minus
start. Positions in Å.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from omm_cx import units
from omm_cx.errors import OmmCxError, SimulationError, StructureError
from omm_cx.forcefield.openmm_forces import TIGHT_EWALD_TOLERANCE, CoulombSettings, create_system
from omm_cx.forcefield.params import ForceField
from omm_cx.io.pdb import Structure

RELAX_CHOICES = ("none", "others")


@dataclass
class PathProfile:
    """``fraction`` (n_points,) along the path, 0 to 1; ``energy_eV`` (n_samples,
    n_points) relative to each sample's start, whose total energy is ``start_energy_eV``
    (n_samples,); ``start_A`` (n_samples, n_moving, 3) and ``end_A`` (n_moving, 3) of the
    moving atoms ``moving`` (indices); ``relax``; ``positions_A`` (n_samples, n_points,
    n_atoms, 3): every atom at every point, after its relaxation (only when asked for,
    ``keep_positions``)."""

    fraction: np.ndarray
    energy_eV: np.ndarray
    start_energy_eV: np.ndarray
    moving: np.ndarray
    start_A: np.ndarray
    end_A: np.ndarray
    relax: str
    positions_A: np.ndarray | None = None

    @property
    def barrier_eV(self) -> np.ndarray:
        """(n_samples,) highest energy along the path minus the start."""
        return self.energy_eV.max(axis=1)

    @property
    def barrier_003_eV(self) -> np.ndarray:
        """(n_samples,) energy just before the steepest drop minus the start (003's
        reading; the highest point when the profile never decreases)."""
        drops = np.diff(self.energy_eV, axis=1)
        k = np.argmin(drops, axis=1)
        before = self.energy_eV[np.arange(len(k)), k]
        return np.where(drops[np.arange(len(k)), k] < 0, before, self.barrier_eV)

    @property
    def reaction_eV(self) -> np.ndarray:
        """(n_samples,) end minus start."""
        return self.energy_eV[:, -1]

    def summary(self) -> dict:
        n = len(self.energy_eV)
        sd = (lambda x: float(np.std(x, ddof=1)) if n > 1 else 0.0)
        return {"n_samples": n, "n_points": len(self.fraction), "moving_atoms": self.moving.tolist(),
                "relax": self.relax, "path_length_A": float(np.linalg.norm(
                    self.end_A - self.start_A.mean(axis=0), axis=1).max()),
                "barrier_eV": float(self.barrier_eV.mean()), "barrier_sd_eV": sd(self.barrier_eV),
                "barrier_003_eV": float(self.barrier_003_eV.mean()),
                "barrier_003_sd_eV": sd(self.barrier_003_eV),
                "reaction_eV": float(self.reaction_eV.mean()), "reaction_sd_eV": sd(self.reaction_eV)}

    def table(self) -> dict[str, np.ndarray]:
        cols = {"fraction": self.fraction, "energy_mean_eV": self.energy_eV.mean(axis=0),
                "energy_sd_eV": self.energy_eV.std(axis=0, ddof=1) if len(self.energy_eV) > 1
                else np.zeros_like(self.fraction)}
        for k, row in enumerate(self.energy_eV):
            cols[f"energy_sample{k}_eV"] = row
        return cols


def swap_moves(structure: Structure, i: int, j: int) -> dict[int, np.ndarray]:
    """End points that exchange atoms ``i`` and ``j`` (003's kick-off path), each moving
    along the minimum image of their separation (in a periodic box the straight lines do
    not cross the box the long way)."""
    from omm_cx.periodic import minimum_image

    _check_index(structure, i)
    _check_index(structure, j)
    if i == j:
        raise OmmCxError(f"swap needs two different atoms, got {i} twice")
    p = structure.positions_A
    d = minimum_image(p[j] - p[i], structure.box_A)
    return {i: p[i] + d, j: p[j] - d}


def _check_index(structure: Structure, i: int) -> None:
    n = len(structure.species)
    if not 0 <= i < n:
        raise OmmCxError(f"atom index {i} is outside 0..{n - 1} (0-based, file order)")


def straight_path(ff: ForceField, structure: Structure, moves: Mapping[int, np.ndarray], *,
                  n_points: int = 21, relax: str = "none", samples: int = 1,
                  jitter_A: float = 0.0, seed: int = 1, platform: str | None = None,
                  precision: str | None = None,
                  ewald_error_tolerance: float = TIGHT_EWALD_TOLERANCE,
                  minimize_tolerance_eV_per_A: float = 0.01,
                  allow_net_charge: bool = False, jitter_atoms=None,
                  keep_positions: bool = False) -> PathProfile:
    """Energy profile of ``moves`` (atom index -> end position, Å) on a straight line from
    the atoms' positions in ``structure``. See the module docstring for ``relax``,
    ``samples`` and ``jitter_A``; ``jitter_atoms``: the moving atoms whose start is
    jittered (default: all; 003's kick-off jitters only the Cu); ``platform``: None for
    the fastest here; ``allow_net_charge``: for deliberately charged periodic systems
    (PME background); ``keep_positions``: keep every point's (relaxed) positions in the
    profile (``positions_A``), e.g. to see which configuration is highest.
    """
    import openmm as mm
    import openmm.unit as u

    from omm_cx.platforms import get_platform

    if relax not in RELAX_CHOICES:
        raise OmmCxError(f"relax {relax!r}: use one of {', '.join(RELAX_CHOICES)}")
    if n_points < 2 or samples < 1 or jitter_A < 0:
        raise OmmCxError("need n_points >= 2, samples >= 1 and jitter_A >= 0")
    if not moves:
        raise OmmCxError("no atom to move: give at least one index -> end position")
    moving = np.array(sorted(moves), dtype=int)
    for i in moving:
        _check_index(structure, int(i))
    end = np.array([np.asarray(moves[i], float).reshape(3) for i in moving])
    system = create_system(ff, structure.species, structure.box_A,
                           coulomb=CoulombSettings(ewald_error_tolerance=ewald_error_tolerance),
                           allow_net_charge=allow_net_charge)
    if relax == "others":
        for i in moving:
            system.setParticleMass(int(i), 0.0)  # massless particles stay put in the minimizer
    plat, props = get_platform(platform, precision)
    ctx = mm.Context(system, mm.VerletIntegrator(0.001), plat, props)
    if structure.box_A is not None:
        ctx.setPeriodicBoxVectors(*(mm.Vec3(*row) for row in units.angstrom_to_nm(structure.box_A)))
    rng = np.random.default_rng(seed)
    fraction = np.linspace(0.0, 1.0, n_points)
    tol = units.ev_per_angstrom_to_kjmol_nm(minimize_tolerance_eV_per_A)
    energies = np.empty((samples, n_points))
    starts = np.empty((samples, len(moving), 3))
    jittered = np.isin(moving, moving if jitter_atoms is None else list(jitter_atoms))[:, None]
    kept = np.empty((samples, n_points) + structure.positions_A.shape) if keep_positions else None
    for k in range(samples):
        start = structure.positions_A[moving] + (rng.uniform(-jitter_A, jitter_A, (len(moving), 3))
                                                 * jittered if jitter_A > 0 else 0.0)
        starts[k] = start
        pos = structure.positions_A.copy()
        for m, s in enumerate(fraction):
            pos[moving] = start + s * (end - start)
            ctx.setPositions(units.angstrom_to_nm(pos))
            if relax == "others":
                mm.LocalEnergyMinimizer.minimize(ctx, tol, 0)
                target = pos[moving].copy()
                pos = units.nm_to_angstrom(np.asarray(
                    ctx.getState(getPositions=True).getPositions(asNumpy=True).value_in_unit(u.nanometer)))
                if np.abs(pos[moving] - target).max() > 1e-6:
                    raise SimulationError("the minimizer moved the path's atoms although they "
                                          "were made massless (OpenMM behaviour changed?)")
            e = units.kjmol_to_ev(
                ctx.getState(getEnergy=True).getPotentialEnergy().value_in_unit(u.kilojoule_per_mole))
            if not np.isfinite(e):
                raise SimulationError(f"non-finite energy at path point {m} (fraction {s:.3f}) "
                                      f"of sample {k}: the moving atoms overlap another atom")
            energies[k, m] = e
            if kept is not None:
                kept[k, m] = pos
    e0 = energies[:, 0].copy()
    return PathProfile(fraction, energies - e0[:, None], e0, moving, starts, end, relax, kept)


def plot_path(profile: PathProfile, ax=None):
    """Energy (eV, relative to the start) against the fraction of the path: every sample
    thin, the mean thick. ``ax=None`` makes a pyplot figure; returns the axes."""
    if ax is None:
        import matplotlib.pyplot as plt

        ax = plt.subplots()[1]
    length = profile.summary()["path_length_A"]
    x = profile.fraction * length
    for row in profile.energy_eV:
        ax.plot(x, row, color="0.75", lw=0.7)
    ax.plot(x, profile.energy_eV.mean(axis=0), color="C0", lw=2, label="mean")
    ax.set_xlabel("distance along the path (Å)")
    ax.set_ylabel("energy relative to the start (eV)")
    return ax


def load_path_inputs(source, forcefield: str | None = None,
                     build=None) -> tuple[ForceField, Structure, dict]:
    """What ``omm-cx path`` starts from. ``source``: a PDB file or a build directory
    (:class:`~omm_cx.systems.builddir.BuildFolder`); ``build``: the build folder whose
    record goes with a PDB file (e.g. a finished run folder's final.pdb and build/:
    :meth:`omm_cx.simulation.rundir.RunFolder.final_structure`). The force field is
    ``forcefield`` or the build record's. Returns (force field, structure, build record
    or {})."""
    from pathlib import Path

    from omm_cx.forcefield import load_forcefield
    from omm_cx.io.pdb import read_pdb
    from omm_cx.systems.builddir import BuildFolder

    src = Path(source)
    if not src.exists():
        raise StructureError(f"structure {str(src)!r} not found (a PDB file or a build "
                             f"directory); check the path")
    pdb = src
    if src.is_dir() and BuildFolder(src).exists():
        build, pdb = BuildFolder(src), BuildFolder(src).structure_pdb
    elif src.is_dir():
        raise StructureError(f"{src}: not a build directory (no build record); give a PDB "
                             f"file, a build directory or a finished run folder")
    build = BuildFolder(getattr(build, "path", build)) if build is not None else None
    info = build.read_record().to_dict() if build is not None else {}
    name = forcefield or info.get("forcefield")
    if name is None:
        raise OmmCxError(f"{src}: no build.json to take the force field from; give the force "
                         f"field (-f FORCEFIELD)")
    ff = load_forcefield(name)
    return ff, read_pdb(pdb, ff.species), info


def allows_net_charge(build_info: Mapping) -> bool:
    """Whether a build record's charge policy keeps a net charge (a neutralising
    background), so a path may be computed for a charged system."""
    return str(build_info.get("charge_policy", "")).startswith("background")


def write_path(out_dir, profile: PathProfile, moves: Mapping[int, np.ndarray], *,
               source: str, forcefield: str, sites: dict | None = None) -> dict:
    """Write path.csv (:meth:`PathProfile.table`), path.json (the summary, with the moves'
    end points in Å) and path.png into ``out_dir``; returns the summary."""
    from pathlib import Path

    from matplotlib.figure import Figure

    from omm_cx.io.figures import save_figure
    from omm_cx.io.tables import write_csv, write_json

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "path.csv", profile.table())
    summary = {"structure": str(source), "forcefield": forcefield,
               "moves": {str(i): np.asarray(v).tolist() for i, v in moves.items()},
               **profile.summary()}
    if sites:
        summary["sites"] = sites
    write_json(out / "path.json", summary)
    ax = plot_path(profile, ax=Figure(figsize=(5, 3.6)).subplots())
    save_figure(ax.figure, out / "path.png")
    return summary

"""One timed engine configuration (:class:`EngineResult`) and the force-error measure every
benchmark uses: RMS over atoms of the force difference (eV/Å), and over several frames
the worst frame's (:func:`worst_rms`)."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np

from omm_cx import units


@dataclass
class EngineResult:
    engine: str
    platform: str
    precision: str
    particles: int
    threads: int
    setting: str
    rms_force_error_eV_per_A: float
    ms_per_step: float
    ns_per_day: float
    device: str = ""
    #: ms per MD step by part (LAMMPS: pair, kspace, neigh, comm, modify, other); {}: not measured
    split: dict = field(default_factory=dict)
    #: NVT, or NPT (with a barostat: OpenMM's Monte Carlo one, LAMMPS's fix nph)
    ensemble: str = "NVT"
    #: ms per step of every timing of this configuration (:func:`interleave`); ms_per_step
    #: is their median
    ms_per_step_repeats: list = field(default_factory=list)
    #: times the configuration once more (ms per step); None: not timed
    retime: Callable[[], float] | None = field(default=None, repr=False, compare=False)

    def record(self) -> dict:
        """The JSON-ready row (without :attr:`retime`)."""
        d = asdict(self)
        d.pop("retime")
        return d


def interleave(results: list[EngineResult], repeats: int = 3, log=print) -> None:
    """Time every timed configuration of ``results`` until each has ``repeats`` timings,
    round-robin over all of them (A B C A B C ...: slow drifts of the machine hit every
    configuration alike), then set ``ms_per_step`` and ``ns_per_day`` to the median."""
    from omm_cx.bench.timing import ns_per_day

    timed = [r for r in results if r.retime is not None and r.ms_per_step > 0]
    for r in timed:
        r.ms_per_step_repeats = r.ms_per_step_repeats or [r.ms_per_step]
    for round_ in range(2, repeats + 1):
        log(f"timing round {round_} of {repeats} over {len(timed)} configurations")
        for r in timed:
            if len(r.ms_per_step_repeats) < round_:
                r.ms_per_step_repeats.append(float(r.retime()))
    for r in timed:
        r.ms_per_step = float(statistics.median(r.ms_per_step_repeats))
        r.ns_per_day = ns_per_day(r.ms_per_step * 1e-3)


def _rms(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.sum((a - b) ** 2, axis=1))))


def frames_of(positions_A, ref) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(positions, reference forces) as lists of frames: ``positions_A`` is one (N, 3)
    frame in Å or a sequence of them, ``ref`` the matching reference forces (eV/Å)."""
    pos, r = np.asarray(positions_A, float), np.asarray(ref, float)
    if pos.ndim == 2:
        pos, r = pos[None], r[None]
    if pos.shape != r.shape or pos.ndim != 3 or pos.shape[2] != 3:
        raise ValueError(f"positions {pos.shape} and reference forces {r.shape} must be "
                         f"matching (N, 3) frames")
    return list(pos), list(r)


def worst_rms(forces_of, positions_A, ref) -> float:
    """The largest RMS force error (eV/Å) over the frames of ``positions_A`` / ``ref``
    (:func:`frames_of`); ``forces_of(frame) -> (N, 3)`` eV/Å."""
    return max(_rms(forces_of(p), r) for p, r in zip(*frames_of(positions_A, ref)))


def _openmm_forces(system, positions_A, platform, props) -> np.ndarray:
    import openmm as mm

    ctx = mm.Context(system, mm.VerletIntegrator(0.001), platform, props)
    return _context_forces(ctx, positions_A)


def _context_forces(ctx, positions_A) -> np.ndarray:
    import openmm.unit as u

    ctx.setPositions(units.angstrom_to_nm(positions_A))
    forces = ctx.getState(getForces=True).getForces(asNumpy=True)
    f = forces.value_in_unit(u.kilojoule_per_mole / u.nanometer)
    return units.force_kjmol_nm_to_ev_angstrom(np.asarray(f))


def openmm_error(system, positions_A, ref, platform, props) -> float:
    """The worst frame's RMS force error (eV/Å) of ``system`` on ``platform`` against
    ``ref`` (one context, every frame of :func:`frames_of`)."""
    import openmm as mm

    ctx = mm.Context(system, mm.VerletIntegrator(0.001), platform, props)
    return worst_rms(lambda p: _context_forces(ctx, p), positions_A, ref)


__all__ = ["EngineResult", "frames_of", "interleave", "openmm_error", "worst_rms"]

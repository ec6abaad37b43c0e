"""Live exchange: the NC membership counts and rho while the MD runs, and stop rules.

:class:`LiveExchangeReporter` is an OpenMM reporter (``describeNextReport``/``report``)
that every ``interval_steps`` takes the positions, computes the NC membership with the
analysis' criterion (:mod:`omm_cx.analysis.membership`, groups from the run's
``build/build.json`` or the geometric fallback) and appends a row to
``live_exchange.csv`` in the run folder:

    step, time_ps, n_in_going, n_original, n_cations, n_anions, rho

(rho = in-going cations in the NC / all cations in the NC, as ``exchange.csv``). A
:class:`StopRule` may end the run early: rho at or above ``rho_above``, or a plateau
(rho's range over the last ``plateau_ps`` below ``plateau_tolerance``). The reporter then
sets ``stop_requested`` to the reason and the runner stops with a checkpoint
(:func:`omm_cx.simulation.run`'s ``reporters``).

Cost: one position download plus one membership evaluation per report. On the
10,392-atom pbse-nc-cd-psl system the membership took 7.7 ms per report on this machine's
2 CPU cores (``benchmarks/live_exchange.py``, median of 20), against 1.08 s of MD per 10 ps
at 800 ns/day on a GPU: 0.7 % with the default interval of 10 ps, and far less on a CPU.

Attach it with :func:`live_reporters` (what ``omm-cx run``, the demo and the studies do).
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from omm_cx.analysis.groups import (AnalysisGroups, groups_from_build_info, groups_from_geometry,
                                    load_build_info)
from omm_cx.analysis.membership import MembershipCriterion, frame_membership
from omm_cx.analysis.structure_id import ANIONS
from omm_cx.errors import AnalysisError, ConfigError, OmmCxError
from omm_cx.io.atomic import atomic_write_text
from omm_cx.simulation.rundir import RunFolder

LIVE_CSV = "live_exchange.csv"
COLUMNS = ("step", "time_ps", "n_in_going", "n_original", "n_cations", "n_anions", "rho")
#: Default interval between live rows, ps.
EVERY_PS = 10.0


@dataclass(frozen=True)
class StopRule:
    """When to end a run early. ``rho_above``: stop once rho >= this; ``plateau_ps``: stop
    once rho's range (max - min) over the last ``plateau_ps`` ps is below
    ``plateau_tolerance`` (needs that much history). Both None: never."""

    rho_above: float | None = None
    plateau_ps: float | None = None
    plateau_tolerance: float = 0.01

    def __post_init__(self):
        if self.rho_above is not None and not 0.0 < self.rho_above <= 1.0:
            raise ConfigError(f"stop rule rho_above {self.rho_above}: give a value in (0, 1]")
        if self.plateau_ps is not None and self.plateau_ps <= 0:
            raise ConfigError(f"stop rule plateau_ps {self.plateau_ps}: give a length > 0 ps")
        if self.plateau_tolerance <= 0:
            raise ConfigError("stop rule plateau_tolerance must be > 0")

    def reason(self, time_ps: np.ndarray, rho: np.ndarray) -> str | None:
        """Why the run should stop after the last row (``time_ps``, ``rho`` so far), or None."""
        if not len(rho) or not np.isfinite(rho[-1]):
            return None
        if self.rho_above is not None and rho[-1] >= self.rho_above:
            return f"rho {rho[-1]:.3f} >= {self.rho_above:g} at t = {time_ps[-1]:.4g} ps"
        if self.plateau_ps is not None and time_ps[-1] - time_ps[0] >= self.plateau_ps:
            window = rho[time_ps >= time_ps[-1] - self.plateau_ps]
            spread = float(np.nanmax(window) - np.nanmin(window))
            if spread < self.plateau_tolerance:
                return (f"rho plateau: range {spread:.3f} < {self.plateau_tolerance:g} over the "
                        f"last {self.plateau_ps:g} ps (t = {time_ps[-1]:.4g} ps)")
        return None


class LiveExchangeReporter:
    """OpenMM reporter writing ``live_exchange.csv`` (module docstring) every
    ``interval_steps``; ``timestep_ps`` converts steps to ps. ``run_dir``: the run folder
    (its ``build/build.json`` gives the groups; the CSV is written there)."""

    def __init__(self, run_dir: str | os.PathLike, interval_steps: int, timestep_ps: float,
                 rule: StopRule | None = None, criterion: MembershipCriterion | None = None):
        if interval_steps < 1:
            raise ConfigError(f"live exchange interval {interval_steps} steps: give >= 1")
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LIVE_CSV
        self.interval = int(interval_steps)
        self.timestep_ps = float(timestep_ps)
        self.rule = rule or StopRule()
        self.criterion = criterion
        self.groups: AnalysisGroups | None = None
        self.rows: list[tuple] = []
        self.stop_requested: str | None = None
        #: False once the first report found no nanocrystal (fewer than two anions).
        self.active = True

    def describeNextReport(self, simulation):
        if not self.active:
            return {"steps": 2**30, "periodic": None, "include": []}
        steps = self.interval - simulation.currentStep % self.interval
        return {"steps": steps, "periodic": False, "include": ["positions"]}

    def report(self, simulation, state) -> None:
        import openmm.unit as u

        if not self.active:
            return
        xyz = np.asarray(state.getPositions(asNumpy=True).value_in_unit(u.angstrom))
        box = np.asarray(state.getPeriodicBoxVectors().value_in_unit(u.angstrom))
        box = box if simulation.topology.getPeriodicBoxVectors() is not None else None
        step = int(simulation.currentStep)
        if self.groups is None:
            self._start(simulation, xyz, box, step)
        if self.active:
            self._append(step, xyz, box)

    def _start(self, simulation, xyz: np.ndarray, box: np.ndarray | None, step: int) -> None:
        species = [a.element.symbol if a.element is not None else a.name
                   for a in simulation.topology.atoms()]
        build = RunFolder(self.run_dir).build.record_json
        if sum(s in ANIONS for s in species) < 2:  # no nanocrystal: nothing to count
            self.active = False
            return
        try:
            self.groups = (groups_from_build_info(load_build_info(build), species)
                           if build.is_file() else groups_from_geometry(species, xyz, box))
            self.criterion = (self.criterion or MembershipCriterion()).resolved(
                xyz, box, self.groups.anions)
        except OmmCxError as exc:
            raise AnalysisError(f"live exchange in {self.run_dir}: {exc}") from None
        if len(self.groups.anions) < 2:
            self.active = False
        self.rows = [r for r in _read_rows(self.path) if r[0] < step]  # a resume: cut back
        _write_rows(self.path, self.rows)  # once, atomically; later rows are appended

    def _append(self, step: int, xyz: np.ndarray, box: np.ndarray | None) -> None:
        g = self.groups
        m = frame_membership(xyz, box, g.cations, g.anions, self.criterion)
        n_in = int(np.isin(m.nc_cations, g.in_going).sum())
        n_orig = int(np.isin(m.nc_cations, g.original).sum())
        n_cat = len(m.nc_cations)
        rho = n_in / n_cat if n_cat else float("nan")
        row = (step, step * self.timestep_ps, n_in, n_orig, n_cat, len(m.nc_anions), rho)
        self.rows.append(row)
        with open(self.path, "a", newline="", encoding="utf-8") as fh:  # a torn last line is skipped on reading
            csv.writer(fh, lineterminator="\n").writerow(row)
        t = np.array([r[1] for r in self.rows])
        self.stop_requested = self.rule.reason(t, np.array([r[6] for r in self.rows]))


def _read_rows(path: Path) -> list[tuple]:
    """The complete rows of a live CSV (a last line without its newline, torn by a kill,
    is dropped)."""
    if not path.is_file():
        return []
    lines = path.read_text(encoding="utf-8").split("\n")[1:-1]  # header; after the last "\n"
    rows = [r for r in csv.reader(lines) if len(r) == len(COLUMNS)]
    return [(int(r[0]), float(r[1]), int(r[2]), int(r[3]), int(r[4]), int(r[5]), float(r[6]))
            for r in rows]


def _write_rows(path: Path, rows: list[tuple]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows(rows)
    atomic_write_text(path, buf.getvalue())


def live_reporters(run_dir: str | os.PathLike, timestep_fs: float, every_ps: float | None = EVERY_PS,
                   rule: StopRule | None = None) -> list[LiveExchangeReporter]:
    """The live-exchange reporter for a run into ``run_dir`` (a list, empty when
    ``every_ps`` is None or 0): one row every ``every_ps`` ps (rounded to whole steps of
    ``timestep_fs``), optional stop ``rule``."""
    if not every_ps:
        return []
    dt_ps = float(timestep_fs) / 1000.0
    return [LiveExchangeReporter(run_dir, max(1, round(float(every_ps) / dt_ps)), dt_ps, rule)]

"""Reporters of a run: the trajectory and state.csv (files opened and closed here), and
the progress line.

* trajectory: :class:`TrajectoryReporter`, OpenMM's ``DCDFile`` / ``XTCFile`` with the
  coordinates written as integrated (unwrapped, like ``DCDReporter(...,
  enforcePeriodicBox=False)``), so a nanocrystal that starts whole stays whole and every
  ion's path is continuous (no jumps by a box length), which is what displacement, jump
  and diffusion analyses need. OpenMM's wrapping would wrap every ion separately (each
  ion is its own molecule) and cut the nanocrystal at the box faces. An analysis that
  wants wrapped or NC-centred frames applies the periodic images itself.
* state: ``StateDataReporter`` (step, time, energies in kJ/mol, temperature, volume,
  density, speed in ns/day), comma separated, header line starting with ``#``, writing to
  a file this module opens.
* progress: :class:`ProgressReporter`, one self-overwriting line on stderr, only when
  stderr is a terminal.

:class:`FileReporters` holds the two file reporters of a segment, flushes their files to
disk and gives their sizes and checksums at a checkpoint (:meth:`FileReporters.sync`), and
closes them.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from omm_cx import units
from omm_cx.io.atomic import fsync_file, fsync_path


class TrajectoryReporter:
    """Frames every ``interval_steps`` to a DCD or XTC file, coordinates as integrated.

    Follows OpenMM's reporter protocol; the DCD file handle is opened here and closed by
    :meth:`close` (XTC files are opened and closed by OpenMM on every frame). The first
    frame of a new file is at step ``interval_steps``; ``append`` continues a file.
    """

    def __init__(self, path: str | os.PathLike, fmt: str, interval_steps: int, append: bool):
        self.path = Path(path)
        self.fmt = str(fmt)
        self.interval = int(interval_steps)
        self.append = bool(append)
        self.writer = None  # openmm.app.DCDFile / XTCFile, made at the first frame
        self.file = None
        if self.fmt == "dcd":
            self.file = open(self.path, "r+b" if self.append else "wb")
        elif not self.append:
            open(self.path, "wb").close()

    def describeNextReport(self, simulation):
        steps = self.interval - simulation.currentStep % self.interval
        return {"steps": steps, "periodic": False, "include": ["positions"]}

    def report(self, simulation, state) -> None:
        import openmm.app as app

        if self.writer is None:
            dt = simulation.integrator.getStepSize()
            if self.file is not None:
                self.writer = app.DCDFile(self.file, simulation.topology, dt, self.interval,
                                          self.interval, self.append)
            else:
                self.writer = app.XTCFile(str(self.path), simulation.topology, dt, self.interval,
                                          self.interval, self.append)
        self.writer.writeModel(state.getPositions(asNumpy=True),
                               periodicBoxVectors=state.getPeriodicBoxVectors())

    def flush(self) -> None:
        """Python's buffer and the OS cache of the file to disk."""
        if self.file is not None and not self.file.closed:
            fsync_file(self.file)
        else:
            fsync_path(self.path)

    def close(self) -> None:
        if self.file is not None and not self.file.closed:
            self.file.close()


def state_reporter(stream, interval_steps: int, append: bool):
    """OpenMM ``StateDataReporter`` writing to the open text ``stream`` (header unless
    ``append``)."""
    import openmm.app as app

    return app.StateDataReporter(
        stream, interval_steps, step=True, time=True, potentialEnergy=True,
        kineticEnergy=True, totalEnergy=True, temperature=True, volume=True, density=True,
        speed=True, append=append,
    )


class FileReporters:
    """The trajectory and state.csv reporters of one segment of a run; :meth:`sync` flushes
    them and checksums what they hold, :meth:`close` closes the files they write.

    Appending to existing files (a resume) hashes their content once here."""

    def __init__(self, trajectory: str | os.PathLike, fmt: str, trajectory_steps: int,
                 state_csv: str | os.PathLike, state_steps: int, append_trajectory: bool,
                 append_state: bool):
        from omm_cx.simulation.outputs import PrefixHasher

        self.trajectory = TrajectoryReporter(trajectory, fmt, trajectory_steps, append_trajectory)
        self.state_file = open(state_csv, "a" if append_state else "w", encoding="utf-8")
        self.state = state_reporter(self.state_file, state_steps, append_state)
        self.intervals = (int(trajectory_steps), int(state_steps))
        self.hashers = (PrefixHasher(trajectory, dcd=str(fmt) == "dcd"), PrefixHasher(state_csv))
        if append_trajectory:
            self.hashers[0].update(0)
        if append_state:
            self.hashers[1].update(0)

    def sync(self, step: int) -> tuple:
        """Flush both files to disk and return their
        :class:`~omm_cx.simulation.record.OutputPrefix` (trajectory, state.csv) at ``step``
        (the frames/rows they hold: one every interval)."""
        self.trajectory.flush()
        if not self.state_file.closed:
            fsync_file(self.state_file)
        return tuple(h.update(step // every) for h, every in zip(self.hashers, self.intervals))

    @property
    def reporters(self) -> list:
        return [self.trajectory, self.state]

    def close(self) -> None:
        self.trajectory.close()
        if not self.state_file.closed:
            self.state_file.close()


def format_duration(seconds: float) -> str:
    """'3d 4h', '2h 05m', '4m 10s', '12s'."""
    s = int(round(max(seconds, 0.0)))
    d, s = divmod(s, 86400)
    h, s = divmod(s, 3600)
    m, s = divmod(s, 60)
    if d:
        return f"{d}d {h}h"
    if h:
        return f"{h}h {m:02d}m"
    if m:
        return f"{m}m {s:02d}s"
    return f"{s}s"


class ProgressReporter:
    """Progress line: step, simulated time, percentage, ns/day and time remaining.

    Follows OpenMM's reporter protocol (``describeNextReport``/``report``); asks for no
    state data, so it costs nothing on the device. Writes at most every ``min_wall_s``
    seconds, only when ``enabled`` (default: ``stream.isatty()``).
    """

    def __init__(self, total_steps: int, timestep_ps: float, interval_steps: int = 100,
                 stream=None, enabled: bool | None = None, min_wall_s: float = 1.0):
        self.total_steps = int(total_steps)
        self.timestep_ps = float(timestep_ps)
        self.interval = max(1, int(interval_steps))
        self.stream = stream if stream is not None else sys.stderr
        if enabled is None:
            try:
                enabled = self.stream.isatty()
            except (AttributeError, ValueError):
                enabled = False
        self.enabled = bool(enabled)
        self.min_wall_s = min_wall_s
        self._t0 = self._step0 = None
        self._last = 0.0
        self._shown = False

    def describeNextReport(self, simulation):
        steps = self.interval - simulation.currentStep % self.interval
        return {"steps": steps, "periodic": None, "include": []}

    def start(self, step: int) -> None:
        """Start the speed clock (after minimization and set-up)."""
        self._t0, self._step0 = time.monotonic(), int(step)

    def ns_per_day(self, step: int) -> float | None:
        if self._t0 is None:
            return None
        wall = time.monotonic() - self._t0
        done = step - self._step0
        if wall <= 0 or done <= 0:
            return None
        return units.ps_to_ns(done * self.timestep_ps) / (wall / 86400.0)

    def line(self, step: int) -> str:
        total_ps = self.total_steps * self.timestep_ps
        if total_ps >= units.PS_PER_NS:
            t, total, unit = units.ps_to_ns(step * self.timestep_ps), units.ps_to_ns(total_ps), "ns"
        else:
            t, total, unit = step * self.timestep_ps, total_ps, "ps"
        pct = 100.0 * step / self.total_steps if self.total_steps else 100.0
        speed = self.ns_per_day(step)
        if speed:
            remaining_days = units.ps_to_ns((self.total_steps - step) * self.timestep_ps) / speed
            rate = f"{speed:.3g} ns/day, {format_duration(remaining_days * 86400.0)} left"
        else:
            rate = "measuring speed"
        return (f"step {step}/{self.total_steps}  {t:.4g}/{total:.4g} {unit} "
                f"({pct:.1f}%)  {rate}")

    def report(self, simulation, state) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self._t0 is None:
            self.start(simulation.currentStep)
        if now - self._last < self.min_wall_s:
            return
        self._last = now
        self.stream.write("\r\033[K" + self.line(simulation.currentStep))
        self.stream.flush()
        self._shown = True

    def close(self) -> None:
        """End the progress line (newline) so later messages start on their own line."""
        if self.enabled and self._shown:
            self.stream.write("\n")
            self.stream.flush()
            self._shown = False

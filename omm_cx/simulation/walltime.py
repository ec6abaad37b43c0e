"""Wall-time budget of a run segment (``--max-wall-time``, config key ``max_wall_time``).

A batch job has a fixed wall time; a 100 ns run is then a chain of segments, each ending
cleanly with a checkpoint before its job's limit, each started with ``--resume``:

    omm-cx run run.yaml -o RUN --resume --max-wall-time 23:50:00   # exit 4: call again

The clock starts when :func:`omm_cx.simulation.runner.run` is called (the interpreter's
start-up before it, a few seconds, is not counted: give the scheduler's limit a minute
more than the budget). Before each chunk of steps, :meth:`WallTimeBudget.stop_before`
estimates the chunk's time from the chunks so far (the slowest of the last few, per step)
and stops when the chunk and a final checkpoint (twice the slowest checkpoint so far,
plus a margin of 1 % of the budget, at most 60 s) would not fit. The first chunk always
runs (there is nothing to estimate from), unless the budget is already spent.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque

#: Units of a duration: suffix -> seconds.
_UNITS = {"": 1.0, "s": 1.0, "sec": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_NUMBER = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$")
_CLOCK = re.compile(r"^\s*(?:(\d+)-)?(\d+):(\d{1,2}):(\d{1,2})\s*$")  # [D-]H:MM:SS
_FORMS = "seconds (3600), a number with a unit (90m, 2h, 1.5h, 1d) or [D-]H:MM:SS (1:30:00)"
#: Chunks whose speed the estimate uses (the slowest of them).
RECENT_CHUNKS = 3
#: The margin kept for the final checkpoint, besides twice the slowest checkpoint.
MARGIN_FRACTION, MARGIN_MAX_S = 0.01, 60.0


def parse_duration(value: float | int | str) -> float:
    """Seconds of a duration given as seconds or text: ``3600``, ``"90m"``, ``"2h"``,
    ``"1:30:00"``, ``"1-00:00:00"`` (SLURM's days-hours form). Raises ``ValueError``
    saying what is accepted."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration: {_FORMS}; got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_text(value)
    else:
        raise ValueError(f"expected a duration: {_FORMS}; got {value!r}")
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"{value!r} is impossible, must be a duration > 0: {_FORMS}")
    return seconds


def _parse_text(text: str) -> float:
    m = _NUMBER.match(text.lower())
    if m and m.group(2) in _UNITS:
        return float(m.group(1)) * _UNITS[m.group(2)]
    m = _CLOCK.match(text)
    if m and int(m.group(3)) < 60 and int(m.group(4)) < 60:
        days = int(m.group(1) or 0)
        return days * 86400.0 + int(m.group(2)) * 3600.0 + int(m.group(3)) * 60.0 + int(m.group(4))
    raise ValueError(f"{text!r} is not a duration: {_FORMS}")


def format_seconds(seconds: float) -> str:
    """``5400`` -> ``'1:30:00'`` (H:MM:SS; with a fraction below a minute)."""
    if seconds < 60:
        return f"{seconds:.3g} s"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class WallTimeBudget:
    """When a segment must stop to end, with a checkpoint, within ``seconds`` of
    ``started`` (``time.monotonic()``; default: now). ``seconds`` None: no budget."""

    def __init__(self, seconds: float | None, started: float | None = None):
        self.seconds = seconds
        self.started = time.monotonic() if started is None else started
        self._rates: deque[float] = deque(maxlen=RECENT_CHUNKS)  # s per step
        self._last: tuple[float, int] | None = None               # (clock, step)
        self._checkpoint_s = 0.0
        self.stopped = False
        self.reason = ""

    @property
    def enabled(self) -> bool:
        return self.seconds is not None

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def checkpoint_took(self, seconds: float) -> None:
        """Record the time of one checkpoint (the reserve for the final one)."""
        self._checkpoint_s = max(self._checkpoint_s, seconds)

    def reserve(self) -> float:
        """Seconds kept for the final checkpoint."""
        if self.seconds is None:
            return 0.0
        return 2.0 * self._checkpoint_s + min(MARGIN_MAX_S, MARGIN_FRACTION * self.seconds)

    def stop_before(self, step: int, next_steps: int) -> bool:
        """Call before each chunk: True (and :attr:`reason` set) when the chunk of
        ``next_steps`` steps from ``step`` would not fit in the budget with the final
        checkpoint. The time since the previous call counts as the previous chunk's
        (steps, health check and any checkpoint)."""
        now = time.monotonic()
        if self._last is not None and step > self._last[1]:
            self._rates.append((now - self._last[0]) / (step - self._last[1]))
        self._last = (now, step)
        if self.seconds is None:
            return False
        elapsed = now - self.started
        estimate = max(self._rates) * next_steps if self._rates else 0.0
        if elapsed + estimate + self.reserve() <= self.seconds:
            return False
        self.stopped = True
        self.reason = (f"after {format_seconds(elapsed)} of the {format_seconds(self.seconds)} "
                       f"budget (the next {next_steps} steps would take ~"
                       f"{format_seconds(estimate)}, the final checkpoint ~"
                       f"{format_seconds(self.reserve())})")
        return True

    def message(self, step: int, total_steps: int, timestep_ps: float) -> str:
        """The run record's message of a segment stopped at ``step`` by the budget."""
        return (f"stopped at wall-time budget at step {step} of {total_steps} (t = "
                f"{step * timestep_ps:.4g} ps) {self.reason}; checkpoint written; continue "
                f"with --resume")


__all__ = ["WallTimeBudget", "format_seconds", "parse_duration"]

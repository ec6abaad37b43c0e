"""Errors of the MD runner (defined in :mod:`omm_cx.errors`; imported here for the old
import path ``omm_cx.simulation.errors``).

Exit codes of ``omm-cx run`` (the one policy of :mod:`omm_cx.cli.main`):

* 0 -- the run finished (or was already finished);
* 2 -- bad config, bad command line, or an output folder that must not be touched;
* 3 -- the simulation failed (NaN or exploding energies); the last good checkpoint is kept;
* 4 -- stopped at the wall-time budget (``--max-wall-time``) after writing a checkpoint;
  continue with ``--resume``;
* 128 + signal number (130 for SIGINT, 143 for SIGTERM) -- stopped by a signal after
  writing a checkpoint; continue with ``--resume``.
"""

from __future__ import annotations

from omm_cx.errors import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    ConfigError,
    RunDirError,
    RunInterrupted,
    SimulationError,
)

__all__ = ["ConfigError", "RunDirError", "RunInterrupted", "SimulationError",
           "EXIT_OK", "EXIT_USAGE", "EXIT_FAILED"]

"""Errors of the MD runner (all :class:`~omm_cx.errors.OmmCxError` subclasses).

Exit codes of ``omm-cx run`` (see :mod:`omm_cx.cli.run`):

* 0 -- the run finished (or was already finished);
* 2 -- bad config, bad command line, or an output folder that must not be touched;
* 3 -- the simulation failed (NaN or exploding energies); the last good checkpoint is kept;
* 128 + signal number (130 for SIGINT, 143 for SIGTERM) -- stopped by a signal after
  writing a checkpoint; continue with ``--resume``.
"""

from __future__ import annotations

from omm_cx.io.yaml_input import ConfigError
from omm_cx.errors import OmmCxError, SimulationError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_FAILED = 3


class RunDirError(OmmCxError):
    """The output folder holds a run that this command must not overwrite, or files that
    cannot be continued (missing trajectory frames, a checkpoint without run.json)."""


class RunInterrupted(OmmCxError):
    """SIGTERM/SIGINT stopped the run; a checkpoint was written first.

    ``signum``: the signal; ``step``: the step of the checkpoint; ``exit_code``: 128 +
    signum, the conventional shell code; ``result``: the :class:`RunResult` so far.
    """

    def __init__(self, message: str, signum: int, step: int, result=None):
        super().__init__(message)
        self.signum = signum
        self.step = step
        self.exit_code = 128 + signum
        self.result = result


__all__ = ["ConfigError", "RunDirError", "RunInterrupted", "SimulationError",
           "EXIT_OK", "EXIT_USAGE", "EXIT_FAILED"]

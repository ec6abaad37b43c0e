"""SIGTERM / SIGINT -> a polite stop: the run finishes its current chunk of steps,
writes a checkpoint and exits with 128 + signal number.

Batch systems send SIGTERM before the wall-time limit (SLURM: ``--signal=B:TERM@120``,
or at the limit itself with a grace period); Ctrl-C sends SIGINT. A second signal while
the first is being handled raises ``KeyboardInterrupt`` at once (checkpoint files are
written atomically, so even then none is left half-written).
"""

from __future__ import annotations

import signal
import threading

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class StopRequest:
    """Context manager: installs the handlers (main thread only) and restores the old ones.

    ``signum`` is None until a stop signal arrives.
    """

    def __init__(self):
        self.signum: int | None = None
        self._old = {}

    def _handle(self, signum, frame):
        if self.signum is not None:
            raise KeyboardInterrupt(f"second signal {signal.Signals(signum).name}")
        self.signum = signum

    @property
    def requested(self) -> bool:
        return self.signum is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name if self.signum else ""

    def __enter__(self) -> "StopRequest":
        if threading.current_thread() is threading.main_thread():
            for sig in STOP_SIGNALS:
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old.clear()

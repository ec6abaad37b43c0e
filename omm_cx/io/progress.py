"""The one progress bar of omm_cx (tqdm on stderr). Quiet when stderr is not a terminal
unless asked for, so logs and CI output stay clean."""

from __future__ import annotations

import sys
from typing import Any


def progress_bar(total: int | None, desc: str, enabled: bool | None = None, unit: str = "it",
                 **kwargs: Any):
    """A ``tqdm`` bar on stderr. ``enabled``: None = only when stderr is a terminal.
    Use as a context manager or call ``update(n)`` and ``close()``."""
    from tqdm import tqdm

    on = sys.stderr.isatty() if enabled is None else bool(enabled)
    return tqdm(total=total, desc=desc, unit=unit, disable=not on, file=sys.stderr,
                dynamic_ncols=True, mininterval=0.5, leave=True, **kwargs)

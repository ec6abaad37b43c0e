"""Figures: pyplot-free matplotlib figures (Agg canvas, safe on machines without a screen)
saved atomically as PNG."""

from __future__ import annotations

import os
from pathlib import Path

from omm_cx.io.atomic import atomic_path


def new_figure(ncols: int = 1, figsize: tuple[float, float] = (5.0, 3.6)):
    """A pyplot-free Figure and its ``ncols`` axes (a list)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, list(fig.subplots(1, ncols, squeeze=False)[0])


def save_figure(fig, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Save a matplotlib figure atomically as PNG; returns the path."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight")
    return Path(path)

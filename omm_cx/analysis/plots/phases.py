"""Plots of the phase analysis (:mod:`omm_cx.analysis.phases`,
:mod:`omm_cx.analysis.phase_boundary`). Every function takes ``ax=None`` (a new pyplot
figure when None) and returns the axes; tables are column mappings as written to
phases.csv / phase_profile.csv (``f_<species>_<phase>`` columns)."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from omm_cx.analysis.plots.core import _ax, _time_axis

#: Colours of the phases (004 Supplementary Fig. 7 marks rocksalt blue, zincblende red,
#: wurtzite green).
PHASE_COLOURS = {"rocksalt": "tab:blue", "zincblende": "tab:red", "wurtzite": "tab:green",
                 "other": "0.45", "surface": "goldenrod"}


def _phases_of(table: Mapping[str, Sequence], species: str) -> list[str]:
    """Phases of ``species`` that occur in the table (f_<species>_<phase> > 0 somewhere)."""
    out = []
    for p in PHASE_COLOURS:
        col = table.get(f"f_{species}_{p}")
        if col is not None and np.nanmax(np.asarray(col, float), initial=0.0) > 0:
            out.append(p)
    return out


def plot_phase_fractions(table: Mapping[str, Sequence], species: str, ax=None):
    """Fraction of the NC's ``species`` ions in each phase against time (phases.csv)."""
    ax = _ax(ax)
    t, xl = _time_axis(np.asarray(table["time_ps"], float))
    for p in _phases_of(table, species):
        ax.plot(t, np.asarray(table[f"f_{species}_{p}"], float), "o-", ms=2, lw=1,
                color=PHASE_COLOURS[p], label=p)
    ax.set_xlabel(xl)
    ax.set_ylabel(f"fraction of {species} in the NC")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(species, fontsize="small")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    return ax


def plot_phase_profile(table: Mapping[str, Sequence], species: str, ax=None):
    """Phase fractions of ``species`` against distance from the NC centre (Å), one
    frame's rows of phase_profile.csv (bars of the shell widths, stacked)."""
    ax = _ax(ax)
    lo = np.asarray(table["r_lo_A"], float)
    hi = np.asarray(table["r_hi_A"], float)
    bottom = np.zeros(len(lo))
    for p in _phases_of(table, species):
        f = np.nan_to_num(np.asarray(table[f"f_{species}_{p}"], float))
        ax.bar(lo, f, width=hi - lo, bottom=bottom, align="edge", color=PHASE_COLOURS[p],
               label=p, edgecolor="white", linewidth=0.3)
        bottom += f
    ax.set_xlabel("distance from the NC centre r (Å)")
    ax.set_ylabel(f"fraction of {species}")
    ax.set_ylim(0, 1.02)
    ax.set_title(species, fontsize="small")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7)
    return ax


def plot_boundary_layers(layers: Mapping[str, Sequence], inner: str = "inner",
                         outer: str = "outer", ax=None):
    """Layer-by-layer composition across the phase boundary: fractions of the inner and
    outer phase among the anions of each layer against the signed distance (Å) from the
    last inner layer (:meth:`omm_cx.analysis.phase_boundary.PhaseBoundary.layer_table`)."""
    ax = _ax(ax)
    s = np.asarray(layers["s_A"], float)
    ax.plot(s, np.asarray(layers["f_inner"], float), "o-", color=PHASE_COLOURS.get(inner, "C0"),
            label=inner)
    ax.plot(s, np.asarray(layers["f_outer"], float), "s-", color=PHASE_COLOURS.get(outer, "C1"),
            label=outer)
    for y in (0.1, 0.9):
        ax.axhline(y, color="0.7", lw=0.6, ls="--")
    ax.set_xlabel("distance across the boundary (Å, anion layers)")
    ax.set_ylabel("fraction of the layer's anions")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize=7)
    return ax

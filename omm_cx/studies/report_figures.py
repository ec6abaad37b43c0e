"""Figures of a study report, in the style of the papers': one curve per group with an
s.e.m. band (rho(t), g(r)), bar-free point plots of scalars with error bars, and
Arrhenius plots with the published slope. Small PNGs (dpi 100)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np

from omm_cx.io.figures import new_figure, save_figure
from omm_cx.studies.aggregate import Group
from omm_cx.studies.spec import StudySpec

K_B_EV = 8.617333262e-5  # eV/K

__all__ = ["plot_curves", "plot_scalars", "plot_arrhenius", "write_figures"]


def plot_curves(groups: list[Group], ax=None, xlabel: str = "", ylabel: str = ""):
    """Mean curve of each group with a ± s.e.m. band; returns the axes."""
    if ax is None:
        _, (ax,) = new_figure(figsize=(5.5, 3.8))
    for g in groups:
        if g.x is None or g.n == 0:
            continue
        x, m, s = np.asarray(g.x), np.asarray(g.mean), np.nan_to_num(np.asarray(g.sem))
        line, = ax.plot(x, m, label=f"{g.label_text()} (n={g.n})")
        if np.any(s > 0):
            ax.fill_between(x, m - s, m + s, color=line.get_color(), alpha=0.25, lw=0)
    ax.set(xlabel=xlabel, ylabel=ylabel)
    if ax.lines:
        ax.legend(fontsize=7)
    return ax


def plot_scalars(groups: list[Group], ax=None, ylabel: str = ""):
    """Mean ± s.e.m. of a scalar per group (points with error bars); returns the axes."""
    if ax is None:
        _, (ax,) = new_figure(figsize=(5.5, 3.6))
    done = [g for g in groups if g.x is None and g.n and math.isfinite(g.mean)]
    xs = np.arange(len(done))
    ax.errorbar(xs, [g.mean for g in done], yerr=[np.nan_to_num(g.sem) for g in done],
                fmt="o", capsize=3)
    ax.set_xticks(xs, [g.label_text() for g in done], rotation=30, ha="right", fontsize=7)
    ax.set(ylabel=ylabel)
    return ax


def plot_arrhenius(entry: dict, ax=None):
    """ln D against 1000/T of every run with our weighted fit and the published slope
    through our points' centre; ``entry`` is an arrhenius verdict entry of report.json."""
    if ax is None:
        _, (ax,) = new_figure(figsize=(5.0, 3.6))
    fit = next((o for o in entry["ours"] if o.get("group") == "Arrhenius fit"), None)
    runs = next((o for o in entry["ours"] if "temperatures_K" in o), None)
    if runs and runs["D"]:
        T, D = np.asarray(runs["temperatures_K"], float), np.asarray(runs["D"], float)
        x, y = 1000.0 / T, np.log(D)
        err = np.asarray(runs.get("D_err") or [np.nan] * len(D), float) / D
        ax.errorbar(x, y, yerr=np.nan_to_num(err), fmt="o", capsize=2, label="ours (each run)")
        xc, yc = x.mean(), y.mean()
        xx = np.linspace(x.min(), x.max(), 10)
        if fit is not None:
            lo, hi = fit["ci95"]
            ax.plot(xx, yc - fit["mean"] / (K_B_EV * 1000) * (xx - xc), "-",
                    label=f"fit Ea = {fit['mean']:.3g} eV, 95 % [{lo:.3g}, {hi:.3g}]")
        if entry.get("published") is not None:
            ax.plot(xx, yc - entry["published"] / (K_B_EV * 1000) * (xx - xc), "--",
                    label=f"published {entry['published']:g} eV (slope)")
    ax.set(xlabel="1000 / T (1/K)", ylabel="ln D", title=entry["id"])
    if ax.lines:
        ax.legend(fontsize=7)
    return ax


def write_figures(out: Path, spec: StudySpec, agg: dict[str, list[Group]],
                  claims: list[dict]) -> list[Path]:
    """One PNG per quantity with data and per Arrhenius claim; returns the paths."""
    files = []
    for name, groups in agg.items():
        if not any(g.n for g in groups):
            continue
        q = spec.quantities[name]
        label = f"{name} ({q.unit})" if q.unit else name
        fig, (ax,) = new_figure(figsize=(5.5, 3.8))
        if any(g.x is not None for g in groups):
            kind = q.from_.split(":", 1)[0]
            parts = q.from_.split(":")  # series:FILE:X:Y, result_series:X:Y
            xlabel = "r (Å)" if kind == "rdf" else parts[1 if kind == "result_series" else 2]
            plot_curves(groups, ax=ax, xlabel=xlabel, ylabel=label)
        else:
            plot_scalars(groups, ax=ax, ylabel=label)
        ax.set_title(textwrap.fill(f"{spec.name}: {q.description or name}", 70), fontsize=7)
        files.append(save_figure(fig, out / f"fig_{name}.png", dpi=100))
    for entry in claims:
        if entry["test"] == "arrhenius" and any(o.get("D") for o in entry["ours"]):
            fig, (ax,) = new_figure(figsize=(5.0, 3.6))
            plot_arrhenius(entry, ax=ax)
            files.append(save_figure(fig, out / f"fig_arrhenius_{entry['id']}.png", dpi=100))
    return files

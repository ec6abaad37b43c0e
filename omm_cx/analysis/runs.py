"""Combining several analysed runs: jumps over runs (004 Table 2 with s.e.m.) and the
Arrhenius fit of D(T) (003), with the temperature of a run read from its state log."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence, Union

import numpy as np

from omm_cx.analysis.diffusion import arrhenius_fit
from omm_cx.analysis.jumps import summarize_runs
from omm_cx.analysis.record import SUMMARY_JSON, AnalysisSummary, read_summary
from omm_cx.errors import AnalysisError, OmmCxError
from omm_cx.io.tables import read_csv, write_csv, write_json
from omm_cx.simulation.rundir import RunFolder

#: A run's analysis summary: the dict :func:`~omm_cx.analysis.driver.analyze_trajectory`
#: returns, the typed record, or the path of a summary.json or analysed run directory.
SummaryLike = Union[dict, AnalysisSummary, str, os.PathLike]

_JUMP_KEYS = ("n_intf", "n_shell", "n_kick", "n_octa", "n_tetra", "n_other", "kick_ratio")


def run_temperature_K(run_dir: str | os.PathLike) -> float | None:
    """Mean temperature (K) in DIR/state.csv (the runner's state log), or None when there
    is no log or no temperature column."""
    path = RunFolder(run_dir).state_csv
    if not path.is_file():
        return None
    try:
        cols = read_csv(path)
    except OmmCxError:  # empty log
        return None
    col = next((v for k, v in cols.items() if k.strip('"#').strip().lower().startswith("temperature")),
               None)
    if col is None:
        return None
    vals = []
    for v in col:
        try:
            vals.append(float(v))
        except (TypeError, ValueError):
            continue
    vals = [v for v in vals if np.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def _as_dict(s: SummaryLike) -> dict:
    if isinstance(s, dict):
        return s
    if isinstance(s, AnalysisSummary):
        return s.as_dict()
    return read_summary(s).as_dict()


def _combine_jumps(summaries: list[dict], labels: list[str], out: Path) -> dict | None:
    per_run = [s["analyses"]["jumps"] for s in summaries if "jumps" in s.get("analyses", {})]
    if not per_run or len(per_run) != len(summaries):
        return None
    comb = summarize_runs(per_run, labels)
    write_json(out / "jumps_summary.json", comb)
    rows = {k: np.array([comb["runs"][r][k] for r in labels]
                        + [comb["total"].get(k, float("nan")), comb["mean"][k], comb["sem"][k]], float)
            for k in _JUMP_KEYS}
    write_csv(out / "jumps_runs.csv", {"run": np.array(labels + ["total", "mean", "sem"], dtype=object),
                                       **rows})
    return {"kick_ratio_mean": comb["mean"]["kick_ratio"], "kick_ratio_sem": comb["sem"]["kick_ratio"],
            "total": comb["total"]}


def _combine_arrhenius(summaries: list[dict], temperatures_K, out: Path, plots: bool,
                       combined: dict) -> None:
    D, E, T = [], [], []
    for s, t in zip(summaries, temperatures_K or [None] * len(summaries)):
        d = s.get("analyses", {}).get("msd", {}).get("diffusion", {})
        if d.get("D_cm2_per_s") is not None and t is not None:
            D.append(d["D_cm2_per_s"])
            E.append(d.get("D_err_cm2_per_s") or float("nan"))
            T.append(float(t))
    fit = None
    if len(D) >= 2:
        try:
            fit = arrhenius_fit(T, D, E)
        except AnalysisError as exc:
            combined["arrhenius"] = {"error": str(exc), "T_K": T, "D_cm2_per_s": D}
    if fit is None:
        if temperatures_K is not None and "arrhenius" not in combined:
            combined["arrhenius"] = {"error": "needs the msd analysis and a temperature for two "
                                              "runs or more"}
        return
    write_csv(out / "arrhenius.csv", {"T_K": np.array(T), "D_cm2_per_s": np.array(D),
                                      "D_err_cm2_per_s": np.array(E, float)})
    combined["arrhenius"] = {**fit.as_dict(), "D0_unit": "cm^2/s", "T_K": T, "D_cm2_per_s": D}
    write_json(out / "arrhenius.json", combined["arrhenius"])
    combined["outputs"] += ["arrhenius.csv", "arrhenius.json"]
    if plots:
        from omm_cx.analysis.plots import plot_arrhenius
        from omm_cx.io.figures import new_figure, save_figure

        fig, (ax,) = new_figure()
        plot_arrhenius(T, D, E, fit, ax=ax)
        save_figure(fig, out / "arrhenius.png")
        combined["outputs"].append("arrhenius.png")


def combine_runs(summaries: Sequence[SummaryLike], out_dir: str | os.PathLike,
                 labels: Sequence[str] | None = None,
                 temperatures_K: Sequence[float | None] | None = None, plots: bool = True) -> dict:
    """Combine several runs: jumps over runs (Table 2 with s.e.m.) and the Arrhenius fit
    of D(T) (needs the msd analysis and a temperature per run, K). ``summaries``: dicts
    from :func:`~omm_cx.analysis.driver.analyze_run_dir`, records, or paths of
    summary.json files / analysed run directories (read by
    :func:`~omm_cx.analysis.record.read_summary`). Writes jumps_summary.json,
    jumps_runs.csv, arrhenius.csv/.json/.png and summary.json in ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summaries = [_as_dict(s) for s in summaries]
    labels = list(labels or [s.get("label") or f"run{i + 1}" for i, s in enumerate(summaries)])
    combined: dict = {"runs": labels, "outputs": []}
    jumps = _combine_jumps(summaries, labels, out)
    if jumps is not None:
        combined["jumps"] = jumps
        combined["outputs"] += ["jumps_summary.json", "jumps_runs.csv"]
    _combine_arrhenius(summaries, temperatures_K, out, plots, combined)
    write_json(out / SUMMARY_JSON, combined)
    return combined

"""The benchmark's result: the table ``omm-cx bench`` prints and the JSON file it writes."""

from __future__ import annotations

import os

from omm_cx.io.tables import write_json as _write_json_file


def format_table(result: dict) -> str:
    """The result of :func:`omm_cx.bench.benchmark.run_benchmark` as a text table; rows whose
    measured force error is above the target are marked "*" and not used in the ratio.
    ms/step is the median of the row's interleaved timings, their range beside it."""
    target = result["target_rms_force_error_eV_per_A"]
    lines = [f"{result['recipe']}: {result['particles']} particles, {result['temperature_K']} K, "
             f"2 fs; target RMS force error {target:g} eV/Å"
             + (f" (the worst of {result['error_frames']['frames']} frames "
                f"{result['error_frames']['gap_steps']} steps apart)" if result.get("error_frames") else "")
             + "; "
             f"{result['machine']['cpu']} ({result['machine']['cores']} cores)",
             f"{'engine':7s} {'platform':37s} {'prec':6s} {'setting':56s} "
             f"{'F err eV/Å':>10s} {'ms/step':>8s} {'ns/day':>7s} {'ms/step min-max':>15s}"]
    for r in result["results"]:
        mark = "*" if r["rms_force_error_eV_per_A"] > target else " "
        lines.append(f"{r['engine']:7s} {r['platform'] + _npt(r):37s} {r['precision'][:6]:6s} "
                     f"{r['setting']:56s} {r['rms_force_error_eV_per_A']:9.2e}{mark} "
                     f"{r['ms_per_step']:8.2f} {r['ns_per_day']:7.2f} {_spread(r):>15s}")
        if r.get("device"):
            lines.append(f"{'':8s}device: {r['device']}")
        if r.get("split"):
            lines.append(f"{'':8s}ms/step by part: " + ", ".join(
                f"{k} {v:.1f}" for k, v in r["split"].items()))
    for name, r in (result.get("fastest") or {}).items():
        lines.append(f"fastest {name.replace('_', ' ')}: {r['platform']}, {r['setting']}, "
                     f"{r['precision']}: {r['ms_per_step']:.2f} ms/step, {r['ns_per_day']:.2f} ns/day")
    ratio = result.get("ratio_vs_lammps")
    lines.append(f"ratio_vs_lammps (fastest omm_cx CPU-side / fastest LAMMPS of its precision "
                 f"class or a stricter one, both at the target): "
                 f"{'n/a' if ratio is None else f'{ratio:.2f}'}"
                 + ("   (* = error above the target)" if any(
                     r["rms_force_error_eV_per_A"] > target for r in result["results"]) else ""))
    npt = result.get("ratio_vs_lammps_npt")
    if npt is not None:
        lines.append(f"ratio_vs_lammps in NPT (OpenMM's Monte Carlo barostat against LAMMPS's "
                     f"fix nph): {npt:.2f}")
    for row in result.get("replicas") or []:
        lines.append(f"{row['replicas']:3d} replicas on {row['platform']}: "
                     f"{row['ns_per_day_per_replica']:.2f} ns/day each, "
                     f"{row['aggregate_ns_per_day']:.2f} ns/day together")
    return "\n".join(lines)


def _npt(row: dict) -> str:
    return ", NPT" if row.get("ensemble") == "NPT" else ""


def _spread(row: dict) -> str:
    """"min-max (n)" of the row's timings, "" when timed once or not at all."""
    times = row.get("ms_per_step_repeats") or []
    return f"{min(times):.2f}-{max(times):.2f} ({len(times)})" if len(times) > 1 else ""


def write_json(result: dict, path: str | os.PathLike) -> None:
    """Write the result as JSON (indent 2, atomically; a non-finite number becomes null)."""
    _write_json_file(path, result, indent=2)

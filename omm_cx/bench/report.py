"""The benchmark's result: the table ``omm-cx bench`` prints and the JSON file it writes."""

from __future__ import annotations

import os

from omm_cx.io.tables import write_json as _write_json_file


def format_table(result: dict) -> str:
    """The result of :func:`omm_cx.bench.benchmark.run_benchmark` as a text table."""
    lines = [f"{result['recipe']}: {result['particles']} particles, {result['temperature_K']} K, "
             f"2 fs; target RMS force error {result['target_rms_force_error_eV_per_A']:g} eV/Å; "
             f"{result['machine']['cpu']} ({result['machine']['cores']} cores)",
             f"{'engine':8s} {'platform':22s} {'precision':9s} {'threads':>7s} {'setting':44s} "
             f"{'F err eV/Å':>10s} {'ms/step':>8s} {'ns/day':>8s}"]
    for r in result["results"]:
        lines.append(f"{r['engine']:8s} {r['platform']:22s} {r['precision']:9s} {r['threads']:7d} "
                     f"{r['setting']:44s} {r['rms_force_error_eV_per_A']:10.2e} "
                     f"{r['ms_per_step']:8.2f} {r['ns_per_day']:8.2f}")
        if r.get("device"):
            lines.append(f"{'':8s} device: {r['device']}")
    ratio = result.get("ratio_vs_lammps")
    lines.append(f"ratio_vs_lammps (best omm_cx CPU-side / LAMMPS): "
                 f"{'n/a' if ratio is None else f'{ratio:.2f}'}")
    for row in result.get("replicas") or []:
        lines.append(f"{row['replicas']:3d} replicas on {row['platform']}: "
                     f"{row['ns_per_day_per_replica']:.2f} ns/day each, "
                     f"{row['aggregate_ns_per_day']:.2f} ns/day together")
    return "\n".join(lines)


def write_json(result: dict, path: str | os.PathLike) -> None:
    """Write the result as JSON (indent 2, atomically; a non-finite number becomes null)."""
    _write_json_file(path, result, indent=2)

"""The end-to-end demo (the README's main job): build a small PbSe NC in Cd-PSL
solution, run it hot on the fastest platform here, analyze, and say where the results are.

    omm-cx demo [-o out/demo] [--ps 50] [--temperature-K 700]

Re-running continues or reuses a finished run (the runner's ``--resume``), then
re-analyzes and draws the NC's cross-section in the first and last frames side by side
(analysis/cross_section.png). ~1.5 minutes on 2 CPU cores.
"""

from __future__ import annotations

import time
from pathlib import Path

from omm_cx.systems.recipes import resolve_recipe

DEMO_RECIPE = "demo-pbse-cd-psl"
DEMO_CONFIG = {
    "description": "omm-cx demo: 2.4 nm PbSe NC in Cd-PSL solution (non-preferential PSL), NVT",
    "seed": 2016,
    "ensemble": "nvt",
    "friction_per_ps": 1.0,
    "timestep_fs": 2.0,
    "minimize": True,
    # 0.5 ps divides 2 ps, so the Pb-jump analysis (frames 2 ps apart) can run
    "report": {"trajectory_ps": 0.5, "state_ps": 0.5, "checkpoint_ps": 5.0},
}


def run_demo(out_dir: str | Path = "out/demo", length_ps: float = 50.0,
             temperature_K: float = 700.0, platform: str | None = None, log=print) -> dict:
    """Build, run and analyze the demo; returns the analysis summary (with ``rho``)."""
    from omm_cx.analysis.driver import analyze_run_dir
    from omm_cx.analysis.record import SUMMARY_JSON
    from omm_cx.analysis.render.movie import open_render_input, render_picture
    from omm_cx.simulation import run

    out = Path(out_dir)
    cfg = dict(DEMO_CONFIG, recipe=str(resolve_recipe(DEMO_RECIPE)),
               temperature_K=float(temperature_K), length_ns=float(length_ps) / 1000.0)
    t0 = time.monotonic()
    result = run(cfg, out / "run", platform=platform, resume=True)
    log(f"demo: MD {result.status}: {length_ps:g} ps at {temperature_K:g} K on {result.platform}")
    summary = analyze_run_dir(out / "run", out_dir=out / "analysis")
    exch = summary.get("analyses", {}).get("exchange", {})
    analysis = (out / "analysis").resolve()
    render_picture(open_render_input(out / "run"), analysis / "cross_section.png", "first,last",
                   normal="[001]", dpi=200)
    log(f"demo: done in {time.monotonic() - t0:.0f} s")
    if exch:
        log(f"demo: rho_Cd {exch.get('rho_first', float('nan')):.3f} -> "
            f"{exch.get('rho_last', float('nan')):.3f} (in-going Cd / all cations in the NC, "
            f"surface-adsorbed Cd included)")
        log(f"demo: rho_interior {exch.get('rho_interior_first', float('nan')):.3f} -> "
            f"{exch.get('rho_interior_last', float('nan')):.3f} (in-going Cd / cations on "
            f"interior sites below the outermost Se layer: exchange, not adsorption; "
            f"{exch.get('n_in_going_interior_last', 0)} Cd inside, "
            f"{exch.get('n_original_in_solution_last', 0)} Pb in solution)")
    log(f"demo: exchange-ratio plot {analysis / 'exchange.png'}")
    log(f"demo: cross-section before/after {analysis / 'cross_section.png'} (6 Å slab normal "
        f"to [001] through the NC centre; Pb blue, Cd red, Se grey, PSL yellow)")
    log(f"demo: tables {analysis / 'exchange.csv'}, {analysis / 'density.csv'}, "
        f"{analysis / 'jumps_summary.json'}, summary {analysis / SUMMARY_JSON}")
    return summary

#!/usr/bin/env python
"""Cost of the live-exchange reporter (omm_cx.analysis.live) per report: the NC membership
of one frame of a built system (default: the published-size pbse-nc-cd-psl, 10,392 atoms),
and what that is as a fraction of the MD it sits in at a given speed.

    python benchmarks/live_exchange.py [--recipe pbse-nc-cd-psl] [--repeats 20]
        [--every-ps 10] [--ns-per-day 800] [--json-file benchmarks/live_exchange.json]

Prints ms per report and the overhead percentage at the given ns/day (the position
download from the device is not included: one getState per report, ~1 ms on a GPU).
"""

from __future__ import annotations

import argparse
import json
import os
import platform as pyplatform
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--recipe", default="pbse-nc-cd-psl")
    p.add_argument("--repeats", type=int, default=20)
    p.add_argument("--every-ps", type=float, default=10.0)
    p.add_argument("--ns-per-day", type=float, default=800.0,
                   help="MD speed the overhead is computed for (default 800: a GPU)")
    p.add_argument("--json-file", default="benchmarks/live_exchange.json")
    a = p.parse_args()

    import numpy as np

    from omm_cx.analysis.groups import groups_from_build_info
    from omm_cx.analysis.membership import MembershipCriterion, frame_membership
    from omm_cx.systems.recipes import build_recipe

    built = build_recipe(a.recipe)
    xyz, box = built.structure.positions_A, built.structure.box_A
    g = groups_from_build_info(built.info, built.structure.species)
    crit = MembershipCriterion().resolved(xyz, box, g.anions)
    rng = np.random.default_rng(0)
    times = []
    for _ in range(a.repeats):
        x = xyz + rng.normal(scale=0.1, size=xyz.shape)
        t = time.perf_counter()
        m = frame_membership(x, box, g.cations, g.anions, crit)
        np.isin(m.nc_cations, g.in_going).sum()
        times.append(time.perf_counter() - t)
    ms = 1e3 * float(np.median(times))
    md_s_per_report = a.every_ps / 1000.0 / a.ns_per_day * 86400.0
    out = {"recipe": a.recipe, "n_atoms": len(xyz), "ms_per_report": ms,
           "every_ps": a.every_ps, "md_ns_per_day": a.ns_per_day,
           "overhead_percent": 100.0 * ms / 1e3 / md_s_per_report,
           "machine": f"{pyplatform.node()} ({os.cpu_count()} CPU cores)"}
    print(f"{a.recipe}: {len(xyz)} atoms, membership {ms:.1f} ms per report (median of "
          f"{a.repeats}); every {a.every_ps:g} ps at {a.ns_per_day:g} ns/day = "
          f"{md_s_per_report:.2f} s of MD -> overhead {out['overhead_percent']:.2f} %")
    with open(a.json_file, "w") as fh:
        json.dump(out, fh, indent=2)


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Cost of the per-ion phase classification (omm_cx.analysis.structure_id) per frame.

    python benchmarks/phase_analysis.py [--recipe pbse-nc-cd-psl] [--repeats 7]
        [--json-file benchmarks/phase_analysis.json]

Builds the recipe's system (default: the 10,392-atom pbse-nc-cd-psl, a 4.7 nm PbSe NC in
a Cd-PSL solution, 10 nm box) and times :func:`identify_phases` on its frame and on the
same frame with random displacements of 0.15 Å rms per component (a thermal-like frame),
``--repeats`` times each after one warm-up call, in this process (numpy/scipy on
whatever cores the machine has; scipy's k-d tree queries run on one core). Prints the
median and fastest wall time with the phase counts per species and writes them as JSON.
Then the whole phase analysis through the driver (``--what phases``: membership,
classification, counts, radial profile, boundary family and width; plots off) on a DCD of
``--frames`` noisy copies of the frame, per frame (the reading of the DCD included).
The target of issue 14 is < 1 s per frame on the 2-core development machine.
"""

from __future__ import annotations

import argparse
import os
import platform as pyplatform
import statistics
import time

import numpy as np


def time_frame(xyz_A, species, box_A, repeats: int) -> tuple[list[float], np.ndarray]:
    """Wall times (s) of ``repeats`` calls (after one warm-up) and the codes."""
    from omm_cx.analysis.structure_id import identify_phases

    codes = identify_phases(xyz_A, species, box_A)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        codes = identify_phases(xyz_A, species, box_A)
        times.append(time.perf_counter() - t0)
    return times, codes


def time_driver(built, n_frames: int, rng) -> dict:
    """Wall time of ``analyze_run_dir(what=['phases'])`` on ``n_frames`` noisy copies of
    the built frame, written as a DCD with OpenMM's writer."""
    import tempfile
    from pathlib import Path

    import openmm.app as app
    import openmm.unit as u

    from omm_cx.analysis.driver import analyze_run_dir
    from omm_cx.analysis.options import AnalysisOptions

    s = built.structure
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp) / "run"
        built.write(d)
        top = app.PDBFile(str(d / "structure.pdb")).topology
        with open(d / "traj.dcd", "wb") as fh:
            dcd = app.DCDFile(fh, top, 0.002 * u.picoseconds, 1000, 1000)
            for _ in range(n_frames):
                x = s.positions_A + rng.normal(scale=0.15, size=s.positions_A.shape)
                dcd.writeModel(x * 0.1 * u.nanometer, periodicBoxVectors=s.box_A * 0.1 * u.nanometer)
        t0 = time.perf_counter()
        analyze_run_dir(d, what=["phases"], out_dir=Path(tmp) / "analysis",
                        options=AnalysisOptions(plots=False, progress=False))
        wall = time.perf_counter() - t0
    return {"frames": n_frames, "wall_s": wall, "per_frame_s": wall / n_frames,
            "includes": "DCD reading, membership, classification, counts, profile, boundary"}


def main() -> None:
    from omm_cx.analysis.structure_id import phase_counts
    from omm_cx.io.tables import write_json
    from omm_cx.systems.recipes import build_recipe

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--recipe", default="pbse-nc-cd-psl")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--frames", type=int, default=5,
                    help="frames of the trajectory timed through the driver (default 5)")
    ap.add_argument("--json-file", metavar="FILE")
    args = ap.parse_args()

    t0 = time.perf_counter()
    built = build_recipe(args.recipe)
    s = built.structure
    print(f"built {args.recipe}: {len(s.species)} atoms in {time.perf_counter() - t0:.1f} s")
    rng = np.random.default_rng(0)
    frames = {"as built": s.positions_A,
              "0.15 A rms noise": s.positions_A + rng.normal(scale=0.15, size=s.positions_A.shape)}
    result = {"recipe": args.recipe, "n_atoms": len(s.species),
              "n_ions_classified": None, "machine": pyplatform.node(),
              "cpu_count": os.cpu_count(), "python": pyplatform.python_version(),
              "numpy": np.__version__, "frames": {}}
    for label, xyz in frames.items():
        times, codes = time_frame(xyz, s.species, s.box_A, args.repeats)
        result["n_ions_classified"] = int((codes != 255).sum())
        counts = phase_counts(codes, s.species)
        result["frames"][label] = {"median_s": statistics.median(times), "min_s": min(times),
                                   "times_s": times, "phase_counts": counts}
        print(f"{label:18s} median {statistics.median(times):.3f} s  fastest {min(times):.3f} s"
              f"  ({result['n_ions_classified']} ions)")
        for sp, c in counts.items():
            print(f"    {sp:3s} " + "  ".join(f"{k} {v}" for k, v in c.items()))
    result["driver"] = time_driver(built, args.frames, rng)
    d = result["driver"]
    print(f"whole phase analysis (driver): {d['per_frame_s']:.3f} s per frame over "
          f"{d['frames']} frames ({d['wall_s']:.1f} s in all)")
    if args.json_file:
        write_json(args.json_file, result, indent=2)
        print(f"wrote {args.json_file}")


if __name__ == "__main__":
    main()

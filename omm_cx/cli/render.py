"""``omm-cx render``: cross-section pictures (a slab through the NC centre) of a build
folder, a run folder or a PDB file, and movies of a run.

    omm-cx render INPUT [-o PNG] [--normal [001]|[011]|[111]|x|y|z] [--thickness-A 6]
                  [--color-by species|phase] [--colors Pb=blue,Cd=#d62728]
                  [--frames first,last] [--movie OUT.gif|OUT.mp4 --stride 1 --fps 10]

This module imports only argparse at import time.
"""

from __future__ import annotations

import argparse

DESCRIPTION = (
    "Draw a slab through the NC centre, perpendicular to a crystal axis of the particle "
    "(followed as the NC rotates) or a lab axis: ions as discs sized by species, shaded by "
    "depth, coloured by species (S/Se white-grey, Pb blue, Cd red, Cu copper, PSL yellow) "
    "or by phase (rocksalt, zincblende, wurtzite, other, surface), with a legend of the "
    "ions in the slab. INPUT: a build folder, a run folder or a PDB file (or a trajectory "
    "with --top). Writes a PNG (a run's first and last frames side by side by default) "
    "and, with --movie, a GIF or MP4 of the slab over the run.")
EPILOG = ("examples: omm-cx render out/build -o core_shell.png --normal [011]; "
          "omm-cx render out/run --frames first,last --color-by phase; "
          "omm-cx render out/run --movie slab.gif --stride 5")


def _colors(text: str) -> dict[str, str]:
    out = {}
    for item in text.split(","):
        key, sep, val = item.partition("=")
        if not sep or not key.strip() or not val.strip():
            raise argparse.ArgumentTypeError(
                f"{item!r}: expected KEY=COLOUR, e.g. Pb=blue,Cd=#d62728")
        out[key.strip()] = val.strip()
    return out


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Options of ``omm-cx render``."""
    p.add_argument("input", metavar="INPUT",
                   help="build folder, run folder, PDB or trajectory file")
    p.add_argument("-o", "--output", metavar="PNG",
                   help="picture to write (default: INPUT/slab.png, or INPUT's name + _slab.png "
                   "for a file; not written with --movie unless given)")
    p.add_argument("--normal", default="[001]", help="slab normal: a crystal direction of the "
                   "particle ([001], [011], [111], [1-10], ...) or a lab axis x, y, z "
                   "(default [001])")
    p.add_argument("--thickness-A", type=float, default=6.0, help="slab thickness, Å (default 6)")
    p.add_argument("--color-by", choices=("species", "phase"), default="species",
                   help="colour ions by species (default) or by crystal phase")
    p.add_argument("--colors", type=_colors, metavar="KEY=COLOUR,...",
                   help="override colours of species or phases, e.g. Pb=navy,rocksalt=#1f77b4")
    p.add_argument("--frames", metavar="LIST", help="frames side by side: first, last or "
                   "indices, comma-separated (default: first,last for a run, the structure "
                   "otherwise)")
    p.add_argument("--half-width-A", type=float, help="half width of the square view, Å "
                   "(default: the NC radius + 8 Å)")
    p.add_argument("--size-scale", type=float, default=0.8,
                   help="disc radius / ionic radius (default 0.8)")
    p.add_argument("--title", help="first title line of each panel (default: none)")
    p.add_argument("--dpi", type=int, default=300, help="PNG resolution (default 300)")
    p.add_argument("--movie", metavar="FILE", help="write a movie of the slab over the run: "
                   "FILE.gif (Pillow) or FILE.mp4 (needs 'pip install omm_cx[movie]'), 100 dpi")
    p.add_argument("--stride", type=int, default=1, help="movie: every STRIDE-th frame (default 1)")
    p.add_argument("--fps", type=float, default=10.0, help="movie: frames per second (default 10)")
    p.add_argument("--top", help="topology PDB when INPUT is a trajectory file")
    p.add_argument("--dt-ps", type=float, help="time between frames when the file lacks it")


def _default_png(path: str):
    from pathlib import Path

    p = Path(path)
    return p.with_name(p.stem + "_slab.png") if p.is_file() else p / "slab.png"


def _describe(panel: dict) -> str:
    legend = ", ".join(f"{k} {n}" for k, n in panel["legend"].items())
    return f"frame {panel['frame']} (t = {panel['time_ps']:g} ps): {legend}"


def run(args: argparse.Namespace) -> int:
    """Draw the picture and/or the movie; print where they are and the legends."""
    from omm_cx.analysis.render.movie import open_render_input, render_picture, write_movie

    inp = open_render_input(args.input, top=args.top, dt_ps=args.dt_ps)
    kw = dict(normal=args.normal, thickness_A=args.thickness_A, color_by=args.color_by,
              colors=args.colors, half_width_A=args.half_width_A, size_scale=args.size_scale,
              title=args.title)
    if args.output or not args.movie:
        frames = args.frames or ("first,last" if inp.n_frames > 1 else "first")
        out = args.output or _default_png(args.input)
        res = render_picture(inp, out, frames, dpi=args.dpi, **kw)
        print(f"wrote {res['path']} ({len(res['panels'])} panel(s), {args.color_by} colours, "
              f"slab normal {args.normal}, {args.thickness_A:g} Å)")
        for panel in res["panels"]:
            print("  " + _describe(panel))
    if args.movie:
        res = write_movie(inp, args.movie, stride=args.stride, fps=args.fps, **kw)
        print(f"wrote {res['path']} ({res['frames']} frames, every {args.stride} of "
              f"{inp.n_frames})")
    return 0

"""Make examples/quick/structure.pdb: a small Cd-PSL liquid (the cation/pseudoligand
solution of Fan et al. 2016) for the quick example and the tests.

108 Cd (+0.8 e) and 108 PSL (-0.8 e) placed at random in a 26.0 Å cubic box (the
12 Å cutoff needs a box of at least 24 Å), no two closer than 2.6 Å (minimum image).
The density (0.0128 ions/Å^3) is the force field's own at 550 K and 0 GPa: a 40 ps NPT
run from this file (pbcdse+psl-nonpreferential, 1 bar, 550 K) kept the box between
26.0 and 26.8 Å, so NPT runs from it stay above 24 Å. (The published NC boxes hold
0.0085 ions/Å^3: 4228 pairs in 10 nm.) The seed is fixed: running this script again
gives the same file.

    python examples/make_quick_structure.py [--seed 2016] [-o examples/quick/structure.pdb]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from omm_cx.io.pdb import Structure, write_pdb

N_PAIRS = 108
BOX_A = 26.0
MIN_SEPARATION_A = 2.6


def random_liquid(n_pairs: int, box_A: float, min_sep_A: float, seed: int) -> Structure:
    """Cd and PSL alternating in file order, random positions with a minimum separation."""
    rng = np.random.default_rng(seed)
    species = ["Cd", "PSL"] * n_pairs
    pos = np.empty((0, 3))
    for _ in species:
        for _attempt in range(100000):
            p = rng.random(3) * box_A
            d = pos - p
            d -= box_A * np.round(d / box_A)
            if not len(pos) or np.min(np.einsum("ij,ij->i", d, d)) >= min_sep_A**2:
                pos = np.vstack([pos, p])
                break
        else:
            raise RuntimeError("box too full: lower the number of pairs or the separation")
    return Structure(species, pos, np.eye(3) * box_A, "Cd-PSL liquid")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=2016)
    ap.add_argument("-o", "--out", default=str(Path(__file__).parent / "quick" / "structure.pdb"))
    args = ap.parse_args(argv)
    s = random_liquid(N_PAIRS, BOX_A, MIN_SEPARATION_A, args.seed)
    write_pdb(args.out, s)
    print(f"wrote {args.out}: {N_PAIRS} Cd + {N_PAIRS} PSL in a {BOX_A} Å box (seed {args.seed})")


if __name__ == "__main__":
    main()

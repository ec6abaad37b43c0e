"""Small hand-built structures for the tests (Å). Independent of omm_cx's builders."""

from __future__ import annotations

import numpy as np

from omm_cx.io.pdb import Structure


def rocksalt(a_A: float, n: int, cation: str, anion: str, jitter_A: float = 0.0,
             seed: int = 0) -> Structure:
    """n x n x n conventional rocksalt cells, optional random displacements."""
    base_c = np.array([[0, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 0.5, 0.5]])
    base_a = base_c + np.array([0.5, 0, 0])
    cells = np.array([[i, j, k] for i in range(n) for j in range(n) for k in range(n)])
    cat = (cells[:, None, :] + base_c[None]).reshape(-1, 3) * a_A
    an = (cells[:, None, :] + base_a[None]).reshape(-1, 3) % n * a_A
    pos = np.vstack([cat, an])
    pos += np.random.default_rng(seed).normal(scale=jitter_A, size=pos.shape) if jitter_A else 0
    species = [cation] * len(cat) + [anion] * len(an)
    return Structure(species, pos, np.eye(3) * n * a_A, f"rocksalt {cation}{anion}")


def disordered_box(counts: dict[str, int], box_A: float, min_sep_A: float, seed: int = 1,
                   box_matrix=None) -> Structure:
    """Random positions with a minimum (minimum-image) separation."""
    rng = np.random.default_rng(seed)
    h = np.eye(3) * box_A if box_matrix is None else np.asarray(box_matrix, float)
    hinv = np.linalg.inv(h)
    species = [s for s, c in counts.items() for _ in range(c)]
    rng.shuffle(species)
    pos = np.empty((0, 3))
    for _ in species:
        for _attempt in range(10000):
            p = rng.random(3) @ h
            if len(pos):
                d = (pos - p) @ hinv
                d -= np.round(d)
                if np.min(np.linalg.norm(d @ h, axis=1)) < min_sep_A:
                    continue
            pos = np.vstack([pos, p])
            break
        else:
            raise RuntimeError("box too full")
    return Structure(species, pos, h, "disordered box")

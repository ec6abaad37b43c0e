"""Central finite differences of a scalar function (gradient and Hessian)."""

from __future__ import annotations

from typing import Callable

import numpy as np


def gradient_hessian(f: Callable[[np.ndarray], float] | None, x: np.ndarray,
                     steps: np.ndarray, *,
                     f_many: Callable[[np.ndarray], np.ndarray] | None = None
                     ) -> tuple[float, np.ndarray, np.ndarray]:
    """f(x), gradient and Hessian of ``f`` at ``x`` by central differences.

    ``steps[i]`` is the step of variable i. Costs 1 + 2n + 2n(n-1) calls; the error is
    O(h^2) plus (energy noise) / h^2. ``f_many``, where given, evaluates ``f`` at all those
    points in one call (rows of a (points, n) array -> (points,)), e.g. a vectorized
    lattice sum; the formulas are the same.
    """
    x = np.asarray(x, dtype=float)
    h = np.asarray(steps, dtype=float) * np.ones_like(x)
    n = len(x)
    points = [x]
    for i in range(n):
        e = np.zeros(n)
        e[i] = h[i]
        points += [x + e, x - e]
    for i in range(n):
        for j in range(i + 1, n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = h[i], h[j]
            points += [x + ei + ej, x + ei - ej, x - ei + ej, x - ei - ej]
    if f_many is not None:
        values = np.asarray(f_many(np.array(points)), dtype=float)
    else:
        values = np.array([f(p) for p in points], dtype=float)
    f0, fp, fm = values[0], values[1:1 + 2 * n:2], values[2:2 + 2 * n:2]
    grad = (fp - fm) / (2.0 * h)
    hess = np.diag((fp - 2.0 * f0 + fm) / h**2)
    k = 1 + 2 * n
    for i in range(n):
        for j in range(i + 1, n):
            v = (values[k] - values[k + 1] - values[k + 2] + values[k + 3]) / (4.0 * h[i] * h[j])
            hess[i, j] = hess[j, i] = v
            k += 4
    return float(f0), grad, hess

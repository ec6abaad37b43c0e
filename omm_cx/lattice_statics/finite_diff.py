"""Central finite differences of a scalar function (gradient and Hessian)."""

from __future__ import annotations

from typing import Callable

import numpy as np


def gradient_hessian(f: Callable[[np.ndarray], float], x: np.ndarray,
                     steps: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """f(x), gradient and Hessian of ``f`` at ``x`` by central differences.

    ``steps[i]`` is the step of variable i. Costs 1 + 2n + 2n(n-1) calls; the error is
    O(h^2) plus (energy noise) / h^2.
    """
    x = np.asarray(x, dtype=float)
    h = np.asarray(steps, dtype=float) * np.ones_like(x)
    n = len(x)
    f0 = f(x)
    fp, fm = np.empty(n), np.empty(n)
    for i in range(n):
        e = np.zeros(n)
        e[i] = h[i]
        fp[i], fm[i] = f(x + e), f(x - e)
    grad = (fp - fm) / (2.0 * h)
    hess = np.diag((fp - 2.0 * f0 + fm) / h**2)
    for i in range(n):
        for j in range(i + 1, n):
            ei, ej = np.zeros(n), np.zeros(n)
            ei[i], ej[j] = h[i], h[j]
            v = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) \
                / (4.0 * h[i] * h[j])
            hess[i, j] = hess[j, i] = v
    return f0, grad, hess

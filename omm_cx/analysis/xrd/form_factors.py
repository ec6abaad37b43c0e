"""X-ray atomic form factors f0(Q) of the free neutral atoms in our systems.

Analytical fit of Waasmaier & Kirfel (1995), Table 1:

    f0(s) = c + sum_{i=1..5} a_i exp(-b_i s^2),   s = sin(theta)/lambda = Q / (4 pi)  [1/Å]

D. Waasmaier and A. Kirfel, "New analytical scattering-factor functions for free atoms
and ions", Acta Cryst. A51, 416-431 (1995), doi:10.1107/S0108767394013292. Coefficients
as distributed with Dissolve (disorderedmaterials/dissolve,
src/data/formfactors_wk1995.cpp); S agrees with ASE's copy of the same table to the last
digit. Each row satisfies f0(0) = c + sum a_i = Z to within 0.01 (tested), which is the
check against transcription errors (ASE's Cu row fails it: c = -3.774477 there, -3.254477
here and in the fit's sum rule).

Neutral-atom values are used for the partially charged ions of the rigid-ion models:
the table's Pb2+ and Cd2+ rows differ from the atoms by 2 electrons at Q = 0 but by less
than 0.3 electrons at the (111) reflections of these crystals (s ~ 0.15 1/Å) and beyond.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

#: element: (a1..a5, b1..b5 in Å^2, c)
WAASMAIER_KIRFEL_1995: dict[str, tuple[tuple[float, ...], tuple[float, ...], float]] = {
    "S": ((6.372157, 5.154568, 1.473732, 1.635073, 1.209372),
          (1.514347, 22.092527, 0.061373, 55.445175, 0.646925), 0.154722),
    "Cu": ((14.014192, 4.784577, 5.056806, 1.457971, 6.932996),
           (3.738280, 0.003744, 13.034982, 72.554794, 0.265666), -3.254477),
    "Se": ((17.354071, 4.653248, 4.259489, 4.136455, 6.749163),
           (2.349787, 0.002550, 15.579460, 45.181202, 0.177432), -3.160982),
    "Cd": ((6.080986, 18.019468, 4.018197, 1.303510, 17.974669),
           (0.048990, 7.273646, 29.119284, 95.831207, 0.661231), 0.603504),
    "Pb": ((16.419567, 32.738590, 6.530247, 2.342742, 19.916475),
           (0.105499, 1.055049, 25.025890, 80.906593, 6.664449), 4.049824),
}

#: Atomic numbers (for ``form_factors="Z"`` and the sum-rule test).
ATOMIC_NUMBER = {"S": 16, "Cu": 29, "Se": 34, "Cd": 48, "Pb": 82}


def form_factor(element: str, q_invA) -> np.ndarray:
    """f0 (electrons) of the neutral ``element`` at momentum transfer ``q_invA`` (1/Å,
    Q = 4 pi sin(theta)/lambda); same shape as ``q_invA``."""
    if element not in WAASMAIER_KIRFEL_1995:
        raise KeyError(f"no X-ray form factor for {element!r}; known: "
                       f"{', '.join(sorted(WAASMAIER_KIRFEL_1995))} (give form_factors="
                       "{species: value or callable} for others)")
    a, b, c = WAASMAIER_KIRFEL_1995[element]
    s2 = (np.asarray(q_invA, dtype=float) / (4 * np.pi)) ** 2
    return c + sum(ai * np.exp(-bi * s2) for ai, bi in zip(a, b))


def form_factor_table(species, q_invA, form_factors: str | Mapping = "wk1995") -> dict[str, np.ndarray]:
    """{species: f(Q) array} for each distinct species.

    ``form_factors``: "wk1995" (Waasmaier-Kirfel, Q-dependent), "Z" (the atomic number,
    Q-independent, as in many Debye-equation codes), or a mapping species -> number or
    callable f(q_invA).
    """
    q = np.asarray(q_invA, dtype=float)
    out = {}
    for s in sorted(set(species)):
        if isinstance(form_factors, Mapping):
            if s not in form_factors:
                raise KeyError(f"form_factors has no entry for species {s!r}")
            v = form_factors[s]
            out[s] = np.broadcast_to(np.asarray(v(q) if callable(v) else v, dtype=float), q.shape)
        elif form_factors == "wk1995":
            out[s] = form_factor(s, q)
        elif form_factors == "Z":
            if s not in ATOMIC_NUMBER:
                raise KeyError(f"no atomic number for species {s!r}")
            out[s] = np.full(q.shape, float(ATOMIC_NUMBER[s]))
        else:
            raise ValueError(f"form_factors {form_factors!r}: use 'wk1995', 'Z' or a mapping")
    return out

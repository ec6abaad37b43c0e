"""RMSD of the atoms near a PbSe/CdSe interface (000 Fig. S25: "Cd atoms near the
interfaces have an abnormally high mobility compared to the other atoms").

Near the interface: a Cd within :data:`INTERFACE_CUTOFF_A` of a Pb, and a Se of the CdSe
domain (its nearest cation is a Cd) within that distance of a Pb, at the atoms' mean
positions. 6 Å takes the first CdSe bilayer at each interface of the four dumbbell models:
their Cd-to-nearest-Pb distances fall in 3.0-5.0 Å (first bilayer) and 5.5-8 Å (second)
for model 1, in 4.5-5.0 and 5.5-6.0 Å (the two ends' first bilayers) for model 2.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

#: Distance to the nearest Pb (Å) within which a CdSe-domain atom is "near the interface".
INTERFACE_CUTOFF_A = 6.0


def interface_rmsd(species: np.ndarray, position_A: np.ndarray, rmsd_A: np.ndarray,
                   cutoff_A: float = INTERFACE_CUTOFF_A) -> dict:
    """Summary entries of the interface atoms (empty without both Pb and Cd):
    ``interface_cutoff_A``, ``n_interface_by_species`` (Cd, Se),
    ``mean_rmsd_interface_by_species_A``, ``mean_rmsd_interface_cdse_A`` (Cd and Se
    near the interface together) and ``mean_rmsd_all_but_interface_Cd_A`` (every other
    atom). ``species`` (n,), ``position_A`` (n, 3) Å, ``rmsd_A`` (n,) Å."""
    sp = np.asarray(species)
    if not (np.any(sp == "Pb") and np.any(sp == "Cd")):
        return {}
    x = np.asarray(position_A, float)
    d_pb = cKDTree(x[sp == "Pb"]).query(x)[0]
    d_cd = cKDTree(x[sp == "Cd"]).query(x)[0]
    near = d_pb < cutoff_A
    cd = (sp == "Cd") & near
    se = (sp == "Se") & near & (d_cd < d_pb)
    rmsd = np.asarray(rmsd_A, float)

    def mean(mask):
        return float(rmsd[mask].mean()) if mask.any() else float("nan")

    return {"interface_cutoff_A": cutoff_A,
            "n_interface_by_species": {"Cd": int(cd.sum()), "Se": int(se.sum())},
            "mean_rmsd_interface_by_species_A": {"Cd": mean(cd), "Se": mean(se)},
            "mean_rmsd_interface_cdse_A": mean(cd | se),
            "mean_rmsd_all_but_interface_Cd_A": mean(~cd)}

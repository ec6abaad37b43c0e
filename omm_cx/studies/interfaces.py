"""pbse-cdse-tomography's two PbSe/CdSe {111} interfaces, relaxed in a force field (the
call of study 001-interfaces).

The supercell of 9 PbSe and 8 CdSe {111} bilayers
(:func:`omm_cx.crystals.interface_stack.rocksalt_zincblende_stack`) is relaxed in
positions and cell (:func:`omm_cx.lattice_statics.relax_cell.relax_cell`) from
``starts`` starts whose atoms are displaced at random off the high-symmetry sites, as
the paper's DFT relaxation started. For each relaxed cell: its shape (a, b, c, angles),
the largest force (lattice sums, and independently OpenMM on the cell repeated in-plane),
the bonds and local phase of the interfacial Se (the phase classifier on the repeated
cell) and, per interface, whether the Se and the cation sublattices step on across it as
in the bulk (coherent) or are shifted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from omm_cx.crystals.interface_stack import LOWER, UPPER, InterfaceStack, rocksalt_zincblende_stack

__all__ = ["rocksalt_zincblende_interfaces"]

#: In-plane repeats for the OpenMM force check and the phase classifier (the repeated
#: cell must be wider than twice the 12 Å cutoff).
_REPEAT = 7


def _angles_deg(lattice: np.ndarray) -> tuple[float, float, float]:
    def ang(u, v):
        return float(np.degrees(np.arccos(u @ v / np.linalg.norm(u) / np.linalg.norm(v))))
    a, b, c = lattice
    return ang(b, c), ang(a, c), ang(a, b)


def lateral_sites(lattice: np.ndarray, positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per atom: the nearest of the three lateral sites (0, 1, 2 at k/3 (a + b)) and the
    distance to it in the plane (Å)."""
    frac = positions @ np.linalg.inv(lattice)
    best, dist = np.zeros(len(frac), int), np.full(len(frac), np.inf)
    for k in range(3):
        d = frac[:, :2] - k / 3.0
        d -= np.round(d)
        cart = d @ lattice[:2, :2]
        r = np.linalg.norm(cart, axis=1)
        better = r < dist
        best[better], dist[better] = k, r[better]
    return best, dist


def _registry(stack: InterfaceStack, sites: np.ndarray) -> dict:
    """Per interface: the site step of each sublattice across it against the bulk step of
    the blocks on either side (+1 per bilayer here): equal means coherent."""
    out = {}
    for name, ix in stack.interfaces.items():
        step_an = (sites[ix["anion_above"]] - sites[ix["anion_below"]]) % 3
        step_cat = (sites[ix["cation_above"]] - sites[ix["cation_below"]]) % 3
        out[name] = {"se_coherent": int(step_an == 1), "cation_coherent": int(step_cat == 1),
                     "se_step": int(step_an), "cation_step": int(step_cat)}
    return out


def _repeated(lattice, positions, species, n: int):
    shifts = np.array([i * lattice[0] + j * lattice[1] for i in range(n) for j in range(n)])
    pos = (positions[None, :, :] + shifts[:, None, :]).reshape(-1, 3)
    box = np.vstack([n * lattice[0], n * lattice[1], lattice[2]])
    return pos, list(species) * (n * n), box


def _interfacial_se(stack, lattice, positions) -> dict:
    """Bonds (the phase classifier's first shell) and phase of the interfacial Se."""
    from omm_cx.analysis.structure_geometry import first_shells
    from omm_cx.analysis.structure_id import ANIONS, CATIONS, MAX_BOND_A, PHASES, identify_phases

    pos, sp, box = _repeated(lattice, positions, stack.species, _REPEAT)
    codes = identify_phases(pos, sp, box)
    arr = np.asarray(sp)
    shells = first_shells(pos, np.isin(arr, sorted(CATIONS)), np.isin(arr, sorted(ANIONS)), box,
                          MAX_BOND_A)
    out = {}
    for name, ix in stack.interfaces.items():
        i = ix["anion_below"]
        row = shells.row[i]
        nbrs = shells.nbr[row][shells.mask[row]] % len(stack.species)
        out[name] = {"se_bonds": int(shells.n_bonds[row]), "se_phase": PHASES[int(codes[i])],
                     "se_neighbours": sorted(stack.species[j] for j in nbrs)}
    return out


def _openmm_max_force(ff, lattice, positions, species) -> float:
    """Largest force (eV/Å) of the relaxed cell repeated in-plane, by OpenMM (CPU
    platform, tight Ewald; its single-precision forces carry ~1e-3 eV/Å of noise): an
    independent check of the lattice sums. Not the Reference platform: OpenMM 8.6.1's
    Reference forces are wrong in a hexagonal box in its 120-degree reduced form (0.33
    eV/Å on this cell where CPU and the lattice sums give < 1e-4)."""
    from omm_cx.energy.single_point import reference_safe_positions, single_point
    from omm_cx.io.pdb import Structure
    from omm_cx.periodic import reduced_cell

    pos, sp, box = _repeated(lattice, positions, species, _REPEAT)
    box, pos = reduced_cell(box, pos)
    sp_res = single_point(ff, Structure(sp, reference_safe_positions(pos, box), box),
                          platform="CPU")
    return float(np.linalg.norm(sp_res.forces_eV_per_A, axis=1).max())


def rocksalt_zincblende_interfaces(out_dir: Path, forcefield: str = "pbcdse", starts: int = 10,
                                   jitter_A: float = 0.3, seed: int = 1,
                                   openmm_check: bool = True, **_ignored) -> dict:
    """Relax the 9 + 8 bilayer PbSe/CdSe supercell from ``starts`` starts (each atom
    displaced uniformly by up to ``jitter_A`` Å per axis, seeded) in ``forcefield``;
    returns per start and over all starts (worst case) what the module docstring lists,
    writes starts.csv and interfaces.png (the first start's relaxed cell)."""
    from omm_cx.forcefield import load_forcefield
    from omm_cx.io.tables import write_csv
    from omm_cx.lattice_statics.relax_cell import relax_cell
    from omm_cx.systems.recipe_parts import relaxed_parameters

    ff = load_forcefield(forcefield)
    a_rs = relaxed_parameters(ff, "rocksalt", "Pb", "Se")["a"]
    a_zb = relaxed_parameters(ff, "zincblende", "Cd", "Se")["a"]
    stack = rocksalt_zincblende_stack(a_rs, a_zb)
    rng = np.random.default_rng(int(seed))
    rows, first = [], None
    for k in range(int(starts)):
        start = stack.positions_A + rng.uniform(-jitter_A, jitter_A, stack.positions_A.shape)
        r = relax_cell(ff, stack.lattice_A, start, stack.species)
        first = r if first is None else first
        a, b, c = np.linalg.norm(r.lattice_A, axis=1)
        alpha, beta, gamma = _angles_deg(r.lattice_A)
        sites, off = lateral_sites(r.lattice_A, r.positions_A)
        reg, se = _registry(stack, sites), _interfacial_se(stack, r.lattice_A, r.positions_A)
        row = {"start": k, "a_A": a, "b_A": b, "c_A": c, "alpha_deg": alpha, "beta_deg": beta,
               "gamma_deg": gamma, "energy_eV": r.energy_eV,
               "max_force_eV_per_A": r.max_force_eV_per_A,
               "max_stress_GPa": float(np.abs(r.stress_GPa).max()),
               "max_off_site_A": float(off.max()), "lists_converged": int(r.lists_converged),
               "openmm_max_force_eV_per_A": (_openmm_max_force(ff, r.lattice_A, r.positions_A,
                                                               stack.species)
                                             if openmm_check else float("nan"))}
        for name in (UPPER, LOWER):
            row.update({f"{name}_{key}": v for key, v in reg[name].items()})
            row.update({f"{name}_se_bonds": se[name]["se_bonds"],
                        f"{name}_se_phase": se[name]["se_phase"]})
        rows.append(row)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    write_csv(out / "starts.csv", {key: [r[key] for r in rows] for key in rows[0]})
    _picture(stack, first, out / "interfaces.png")
    return _summary(rows, stack, first, a_rs, a_zb, forcefield, jitter_A)


def _summary(rows, stack, first, a_rs, a_zb, forcefield, jitter_A) -> dict:
    col = {key: np.array([r[key] for r in rows]) for key in rows[0]
           if not isinstance(rows[0][key], str)}
    hex_dev = max(np.abs(col["gamma_deg"] - 60.0).max(), np.abs(col["alpha_deg"] - 90.0).max(),
                  np.abs(col["beta_deg"] - 90.0).max())
    result = {
        "forcefield": forcefield, "starts": len(rows), "jitter_A": jitter_A,
        "bulk_a_A": {"PbSe-rocksalt": a_rs, "CdSe-zincblende": a_zb},
        "n_atoms": len(stack.species),
        "a_A": float(col["a_A"].mean()), "c_A": float(col["c_A"].mean()),
        "a_spread_A": float(np.ptp(col["a_A"])), "c_spread_A": float(np.ptp(col["c_A"])),
        "a_minus_b_A": float(np.abs(col["a_A"] - col["b_A"]).max()),
        "hexagonal_deviation_deg": float(hex_dev),
        "max_force_eV_per_A": float(col["max_force_eV_per_A"].max()),
        "openmm_max_force_eV_per_A": float(np.nanmax(col["openmm_max_force_eV_per_A"]))
        if np.isfinite(col["openmm_max_force_eV_per_A"]).any() else None,
        "max_stress_GPa": float(col["max_stress_GPa"].max()),
        "energy_spread_eV": float(np.ptp(col["energy_eV"])),
        "starts_table": rows,
    }
    for name in (UPPER, LOWER):
        for key in ("se_bonds", "se_coherent", "cation_coherent"):
            v = col[f"{name}_{key}"]
            result[f"{name}_{key}_min"], result[f"{name}_{key}_max"] = int(v.min()), int(v.max())
            result[f"{name}_{key}"] = float(v.mean())
        result[f"{name}_se_phases"] = sorted({r[f"{name}_se_phase"] for r in rows})
    return result


def _picture(stack: InterfaceStack, relaxed, path: Path) -> None:
    """The relaxed cell (3 in-plane repeats) seen along a (a <110> direction, as in the
    paper's HAADF-STEM projection), the two interfaces marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from omm_cx.io.figures import save_figure

    lat, pos = relaxed.lattice_A, relaxed.positions_A
    reps, sp, _ = _repeated(lat, pos, stack.species, 3)
    y = reps[:, 1] - np.floor(reps[:, 1] / (3 * lat[1, 1])) * 3 * lat[1, 1]
    colour = {"Pb": "tab:blue", "Cd": "tab:red", "Se": "goldenrod"}
    fig, ax = plt.subplots(figsize=(4.2, 8.0))
    for s in ("Pb", "Cd", "Se"):
        m = np.asarray(sp) == s
        ax.scatter(y[m], reps[m, 2], s=28 if s != "Se" else 18, c=colour[s], label=s,
                   edgecolors="k", linewidths=0.3)
    for name, text in ((UPPER, "upper: interfacial Se 6-fold (rocksalt-like)"),
                       (LOWER, "lower: interfacial Se 4-fold (zinc-blende-like)")):
        ix = stack.interfaces[name]
        z = pos[ix["anion_below"], 2]
        ax.axhline(z, color="0.3", lw=0.8, ls="--")
        ax.text(0.02, z + 0.6, text, fontsize=7, transform=ax.get_yaxis_transform())
    ax.set_xlabel("in-plane position normal to the view, Å")
    ax.set_ylabel("z along [111], Å")
    ax.set_title("PbSe/CdSe {111} superlattice, relaxed", fontsize=9)
    ax.legend(loc="upper right", fontsize=7)
    save_figure(fig, path)
    plt.close(fig)

"""A rocksalt / zinc-blende {111} superlattice with its two interfaces (PbSe/CdSe core/
shell interfaces as in pbse-cdse-tomography's DFT supercell: 9 PbSe and 8 CdSe {111}
bilayers, one cation-anion pair per layer in a hexagonal cell, c normal to the layers).

Along [111] every layer is a triangular net at one of three lateral sites A, B, C
(site k at k/3 (a + b), a and b the in-plane vectors at 60 deg). In rocksalt the cations
step one site per bilayer and each anion sits midway, on the third site (6 neighbours);
in zinc blende each anion sits above its cation (a bond along c) and the pair steps one
site per bilayer (4 neighbours). In a periodic cell the two blocks fit only with one
interface of each kind (9 + 8 bilayers leave no other choice):

* the *upper* interface (rocksalt below, zinc blende above): the first Cd sits on the
  third site above the last rocksalt Se, so that Se keeps six cation neighbours
  (rocksalt-like); the cation sublattice steps on as in the bulk (coherent), the Se
  sublattice is shifted;
* the *lower* interface (zinc blende below, rocksalt above, through the periodic
  boundary): the last zinc-blende Se has its Cd below and three Pb above (four
  neighbours, zinc-blende-like); the Se sublattice steps on (coherent), the cation
  sublattice is shifted.

Spacings start from the two bulk lattices (layer period a/sqrt(3)); the structure is meant
to be relaxed (:func:`omm_cx.lattice_statics.relax_cell.relax_cell`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from omm_cx.errors import ConfigError

UPPER, LOWER = "upper", "lower"


@dataclass
class InterfaceStack:
    """The superlattice: cell rows (Å), positions (Å), species, and per atom its block
    (the rocksalt or zinc-blende material), its bilayer index in the block and its
    lateral site (0, 1, 2 for A, B, C). ``interfaces`` names, for the upper and the lower
    interface, the atom indices of the last layer below and the first layer above
    (``{"upper": {"anion_below": i, "cation_above": j, ...}}``)."""

    lattice_A: np.ndarray
    positions_A: np.ndarray
    species: list[str]
    block: list[str]
    bilayer: list[int]
    site: list[int]
    interfaces: dict[str, dict[str, int]] = field(default_factory=dict)


def rocksalt_zincblende_stack(a_rocksalt_A: float, a_zincblende_A: float, *,
                              rocksalt: tuple[str, str] = ("Pb", "Se"),
                              zincblende: tuple[str, str] = ("Cd", "Se"),
                              n_rocksalt: int = 9, n_zincblende: int = 8) -> InterfaceStack:
    """The {111} superlattice of ``n_rocksalt`` rocksalt and ``n_zincblende`` zinc-blende
    bilayers (cubic lattice constants in Å; the in-plane cell starts at the mean of the
    two {111} nets, a/sqrt(2)). ``rocksalt``/``zincblende``: (cation, anion) species."""
    if n_rocksalt < 2 or n_zincblende < 2:
        raise ConfigError("rocksalt_zincblende_stack: at least 2 bilayers of each block")
    if (n_rocksalt + n_zincblende) % 3 != 2:
        # the site bookkeeping below closes the period only for this count (9 + 8 = 17)
        raise ConfigError(f"rocksalt_zincblende_stack: {n_rocksalt} + {n_zincblende} bilayers "
                          f"do not close the stacking period with one interface of each "
                          f"kind; the total must be 2 modulo 3 (e.g. 9 + 8)")
    a_hex = 0.5 * (a_rocksalt_A + a_zincblende_A) / np.sqrt(2.0)
    d_rs, d_zb = a_rocksalt_A / np.sqrt(3.0), a_zincblende_A / np.sqrt(3.0)
    ab = np.array([[a_hex, 0.0, 0.0], [0.5 * a_hex, 0.5 * np.sqrt(3.0) * a_hex, 0.0]])
    rows: list[tuple[str, str, int, int, float]] = []  # species, block, bilayer, site, z
    z, site = 0.0, 0
    rs_name, zb_name = "".join(rocksalt), "".join(zincblende)
    for k in range(n_rocksalt):
        rows.append((rocksalt[0], rs_name, k, site % 3, z))
        rows.append((rocksalt[1], rs_name, k, (site - 1) % 3, z + 0.5 * d_rs))
        z, site = z + d_rs, site + 1
    z -= 0.5 * d_rs  # the first Cd on the octahedral-like site above the last rocksalt Se
    for k in range(n_zincblende):
        rows.append((zincblende[0], zb_name, k, site % 3, z))
        rows.append((zincblende[1], zb_name, k, site % 3, z + 0.75 * d_zb))
        z, site = z + d_zb, site + 1
    # the last Se sits at z - d_zb/4; the first Pb (its periodic image) half a rocksalt
    # layer above it, on the site one step back: the Se sublattice steps on, the cation
    # sublattice is shifted
    c = z - 0.25 * d_zb + 0.5 * d_rs
    assert (site - 2) % 3 == 0, "stacking bookkeeping"  # guarded by the count check above
    lattice = np.vstack([ab, [0.0, 0.0, c]])
    species = [r[0] for r in rows]
    positions = np.array([(r[3] / 3.0) * (ab[0] + ab[1]) + [0.0, 0.0, r[4]] for r in rows])
    n_rs = 2 * n_rocksalt
    interfaces = {
        UPPER: {"cation_below": n_rs - 2, "anion_below": n_rs - 1, "cation_above": n_rs,
                "anion_above": n_rs + 1},
        LOWER: {"cation_below": len(rows) - 2, "anion_below": len(rows) - 1,
                "cation_above": 0, "anion_above": 1},
    }
    return InterfaceStack(lattice, positions, species, [r[1] for r in rows],
                          [r[2] for r in rows], [r[3] for r in rows], interfaces)

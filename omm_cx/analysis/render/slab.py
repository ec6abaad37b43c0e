"""Cross-section pictures like the papers' figures: a slab through the NC centre,
perpendicular to a crystal axis of the particle ([001], [011], [111], ...) or a lab axis,
ions as discs sized by species, coloured by species (the papers' colours) or by phase, and
shaded by depth.

Geometry. The slab's normal ``n`` (lab frame, unit) is a crystal direction turned into
the lab frame by the crystal's rotation ``R`` (crystal -> lab, ``lab = R @ crystal``, as
build.json ``crystals[0].rotation`` and :func:`omm_cx.analysis.facets.facet_directions`)
or a lab axis. Positions are taken at their minimum image relative to the slab centre
(the NC centre by default, :func:`omm_cx.periodic.cluster_centre`); the ions with
``|(x - c) . n| <= thickness/2`` are drawn, viewed from the ``+n`` side, in screen axes
``u`` (right) and ``v = n x u`` (up), ``u`` a low-index crystal direction in the plane
([100] for [001] and [011], [1-10] for [111]). Discs have their radius in Å (Shannon
ionic radii x ``size_scale``), so the picture has a true scale (a 1 nm bar is drawn);
the nearest ions are drawn last, and deeper ones darkened by up to ``depth_shade``.

Library: matplotlib (a dependency already): :class:`~matplotlib.collections.EllipseCollection`
draws discs in data units (Å) with one call for thousands of ions, on the Agg canvas
without a screen; its ``animation`` writers make the movies (:mod:`omm_cx.analysis.render.movie`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from omm_cx.errors import AnalysisError
from omm_cx.periodic import cluster_centre, minimum_image

#: The papers' colours (004 Fig. 1: "white, blue, red and yellow spheres represent S, Pb,
#: Cd and PSLs"): anions white-grey, Pb blue, Cd red, PSL yellow; Cu copper. Legend
#: order: this dict's (cations, anions, PSL), then others alphabetically.
SPECIES_COLORS: dict[str, str] = {
    "Pb": "#2f5fd0", "Cd": "#d62728", "Cu": "#c8782a", "Zn": "#8c5fc0", "Hg": "#3aa0a0",
    "S": "#f4f4f4", "Se": "#d4d4d4", "Te": "#a0a0a0", "O": "#ffb0b0", "PSL": "#f5d000",
}
#: Colours of the phases of :mod:`omm_cx.analysis.structure_id` (and of ions not classified).
PHASE_COLORS: dict[str, str] = {
    "other": "#505050", "rocksalt": "#2f5fd0", "zincblende": "#d62728",
    "wurtzite": "#2ca02c", "surface": "#d8d8d8", "not classified": "#f5d000",
}
#: Disc radii (Å) before ``size_scale``: Shannon ionic radii (6-fold), PSL 1.6 Å.
DISC_RADIUS_A: dict[str, float] = {
    "Pb": 1.19, "Cd": 0.95, "Cu": 0.77, "Zn": 0.74, "Hg": 1.02,
    "S": 1.84, "Se": 1.98, "Te": 2.21, "O": 1.40, "PSL": 1.6,
}
#: Default slab thickness (Å): about one cubic lattice constant of PbSe/CdSe.
THICKNESS_A = 6.0
_LAB_AXES = {"x": (0, 1, 2), "y": (1, 2, 0), "z": (2, 0, 1)}
_IN_PLANE = ((1, 0, 0), (0, 1, 0), (0, 0, 1), (1, -1, 0), (0, 1, -1), (1, 0, -1))


@dataclass
class Slab:
    """Ions of a slab. ``indices`` (M,) atoms in drawing order (deepest first),
    ``uv_A`` (M, 2) screen coordinates (Å, from the centre), ``depth_A`` (M,) towards the
    viewer (Å), ``centre_A`` (3,), lab unit vectors ``normal``, ``u``, ``v`` (3,), the
    direction's ``label`` ("[001]", "z") and ``thickness_A``."""

    indices: np.ndarray
    uv_A: np.ndarray
    depth_A: np.ndarray
    centre_A: np.ndarray
    normal: np.ndarray
    u: np.ndarray
    v: np.ndarray
    label: str
    thickness_A: float


def parse_direction(text: str | Sequence[int]) -> tuple[int, int, int] | str:
    """A crystal direction ``"[011]"``, ``"011"``, ``"1-10"``, ``"0,1,1"`` or (0, 1, 1) as
    three integers, or a lab axis ``"x"``/``"y"``/``"z"`` as that letter."""
    if isinstance(text, str):
        s = text.strip().lower()
        if s in _LAB_AXES:
            return s
        body = s.strip("[]<>() ")
        parts = ([p.strip() for p in body.split(",")] if "," in body
                 else re.findall(r"-?\d", body))
        if "".join(parts).replace("-", "") != re.sub(r"[,\s-]", "", body):
            parts = []
    else:
        parts = list(text)
    try:
        h = tuple(int(p) for p in parts)
    except (TypeError, ValueError):
        h = ()
    if len(h) != 3 or not any(h):
        raise AnalysisError(f"slab normal {text!r}: give a crystal direction such as [001], "
                            f"[011], [111] or [1-10], or a lab axis x, y or z")
    return h


def _label(h: tuple[int, int, int]) -> str:
    return "[" + "".join(str(c) for c in h) + "]"


def slab_axes(normal: str | Sequence[int], rotation: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, str]:
    """(n, u, v, label): lab unit vectors of the slab normal and the screen axes
    (``v = n x u``) for a crystal direction (turned by ``rotation``, crystal -> lab;
    None = identity) or a lab axis (``rotation`` ignored)."""
    h = parse_direction(normal)
    if isinstance(h, str):
        k, i, _ = _LAB_AXES[h]
        n, u = np.eye(3)[k], np.eye(3)[i]
        return n, u, np.cross(n, u), h
    hv = np.array(h, float) / np.linalg.norm(h)
    u = next((np.array(c, float) for c in _IN_PLANE if np.dot(c, h) == 0), None)
    if u is None:  # a high-index direction: any perpendicular one
        u = np.cross(hv, np.eye(3)[int(np.argmin(np.abs(hv)))])
    u = u / np.linalg.norm(u)
    R = np.eye(3) if rotation is None else np.asarray(rotation, float).reshape(3, 3)
    n, u = R @ hv, R @ u
    n, u = n / np.linalg.norm(n), u / np.linalg.norm(u)
    return n, u, np.cross(n, u), _label(h)


def select_slab(xyz_A: np.ndarray, box_A: np.ndarray | None = None, *,
                normal: str | Sequence[int] = "[001]", rotation: np.ndarray | None = None,
                thickness_A: float = THICKNESS_A, centre_A: np.ndarray | None = None,
                centre_atoms: Sequence[int] | None = None,
                half_width_A: float | None = None) -> Slab:
    """The ions (N atoms, ``xyz_A`` (N, 3) Å, ``box_A`` (3, 3) or None) within
    ``thickness_A / 2`` of the plane through ``centre_A`` (default: the cluster centre of
    ``centre_atoms``, default all atoms) normal to ``normal``; with ``half_width_A`` only
    those with ``|u|, |v| <= half_width_A`` (a square window)."""
    xyz = np.asarray(xyz_A, float).reshape(-1, 3)
    if not thickness_A > 0:
        raise AnalysisError(f"slab thickness {thickness_A} Å: must be > 0")
    n, u, v, label = slab_axes(normal, rotation)
    if centre_A is None:
        sel = xyz if centre_atoms is None else xyz[np.asarray(centre_atoms, int)]
        centre_A = cluster_centre(sel, box_A)[0]
    c = np.asarray(centre_A, float)
    d = minimum_image(xyz - c, box_A)
    depth, uu, vv = d @ n, d @ u, d @ v
    keep = np.abs(depth) <= thickness_A / 2
    if half_width_A is not None:
        keep &= (np.abs(uu) <= half_width_A) & (np.abs(vv) <= half_width_A)
    idx = np.nonzero(keep)[0]
    idx = idx[np.argsort(depth[idx], kind="stable")]
    return Slab(idx, np.column_stack([uu[idx], vv[idx]]), depth[idx], c, n, u, v, label,
                float(thickness_A))


def _rgb(colors: Mapping[str, str], key: str) -> np.ndarray:
    from matplotlib.colors import to_rgb

    try:
        return np.array(to_rgb(colors[key]))
    except KeyError:
        raise AnalysisError(f"no colour for {key!r}; give one, e.g. --colors "
                            f"{key}=#888888") from None
    except ValueError:
        raise AnalysisError(f"colour {colors[key]!r} of {key!r} is not a matplotlib colour "
                            f"(a name such as 'blue' or '#rrggbb')") from None


def _phase_names(phases: np.ndarray) -> list[str]:
    from omm_cx.analysis.structure_id import NOT_CLASSIFIED, PHASES

    return [PHASES[p] if p < len(PHASES) else "not classified" if p == NOT_CLASSIFIED
            else f"code {p}" for p in range(256)]


def slab_keys(species: Sequence[str], slab: Slab, color_by: str = "species",
              phases: np.ndarray | None = None) -> list[str]:
    """The legend key of each ion of ``slab`` (its species, or its phase name)."""
    if color_by == "species":
        return [species[i] for i in slab.indices]
    if color_by != "phase":
        raise AnalysisError(f"color_by {color_by!r}: 'species' or 'phase'")
    names = _phase_names(phases)
    return [names[int(p)] for p in np.asarray(phases)[slab.indices]]


def legend_entries(keys: Sequence[str], order: Sequence[str]) -> list[tuple[str, int]]:
    """(key, count) of the drawn ions, keys in ``order`` first, then alphabetically."""
    counts: dict[str, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    rank = {k: i for i, k in enumerate(order)}
    return sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))


def _scale_bar(ax, half_width_A: float) -> None:
    x0, y0 = -0.92 * half_width_A, -0.92 * half_width_A
    ax.plot([x0, x0 + 10.0], [y0, y0], color="black", lw=2, solid_capstyle="butt")
    ax.text(x0 + 5.0, y0 + 0.02 * half_width_A, "1 nm", ha="center", va="bottom", fontsize=7)


def draw_slab(slab: Slab, species: Sequence[str], keys: Sequence[str],
              colors: Mapping[str, str], *, size_scale: float = 0.8, depth_shade: float = 0.4,
              half_width_A: float | None = None, legend_order: Sequence[str] = (),
              title: str | None = None, legend: bool = True, ax=None):
    """Draw the ions of ``slab`` as discs coloured by ``keys`` (one per ion) with
    ``colors`` (key -> matplotlib colour), a 1 nm bar and a legend "key count"; returns
    the axes (a new pyplot-free figure when ``ax`` is None)."""
    from matplotlib.collections import EllipseCollection
    from matplotlib.lines import Line2D

    if ax is None:
        from omm_cx.analysis.plots import new_axes

        ax = new_axes(figsize=(3.4, 3.8))
    palette = {k: _rgb(colors, k) for k in dict.fromkeys(keys)}
    radius = np.array([DISC_RADIUS_A.get(species[i], 1.2) for i in slab.indices]) * size_scale
    rgb = np.array([palette[k] for k in keys]).reshape(-1, 3)
    t = slab.thickness_A
    shade = 1.0 - depth_shade * np.clip((t / 2 - slab.depth_A) / t, 0.0, 1.0)
    rgb = rgb * shade[:, None]
    if len(rgb):
        ax.add_collection(EllipseCollection(
            2 * radius, 2 * radius, np.zeros(len(radius)), units="xy", offsets=slab.uv_A,
            offset_transform=ax.transData, facecolors=rgb, edgecolors="#202020",
            linewidths=0.25))
    if half_width_A is None:
        half_width_A = float(np.abs(slab.uv_A).max() + 3.0) if len(rgb) else 10.0
    ax.set_xlim(-half_width_A, half_width_A)
    ax.set_ylim(-half_width_A, half_width_A)
    ax.set_aspect("equal")
    ax.set_axis_off()
    _scale_bar(ax, half_width_A)
    if title:
        ax.set_title(title, fontsize=8)
    if legend:
        entries = legend_entries(keys, legend_order)
        handles = [Line2D([], [], ls="", marker="o", ms=6, mfc=palette[k], mec="#202020",
                          mew=0.4, label=f"{k} {n}") for k, n in entries]
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0),
                  ncol=min(len(handles), 4) or 1, fontsize=7, frameon=False,
                  title=f"ions in the {t:g} Å slab", title_fontsize=7, handletextpad=0.2,
                  columnspacing=0.8)
    return ax


def render_slab(xyz_A: np.ndarray, species: Sequence[str], box_A: np.ndarray | None = None, *,
                normal: str | Sequence[int] = "[001]", rotation: np.ndarray | None = None,
                thickness_A: float = THICKNESS_A, color_by: str = "species",
                phases: np.ndarray | None = None, colors: Mapping[str, str] | None = None,
                centre_A: np.ndarray | None = None, centre_atoms: Sequence[int] | None = None,
                half_width_A: float | None = None, size_scale: float = 0.8,
                depth_shade: float = 0.4, title: str | None = None, legend: bool = True,
                ax=None):
    """Draw the slab of a structure (:func:`select_slab` + :func:`draw_slab`).

    ``xyz_A`` (N, 3) Å, ``species`` N names, ``box_A`` (3, 3) Å or None (vacuum).
    ``color_by``: "species" (:data:`SPECIES_COLORS`) or "phase" (:data:`PHASE_COLORS`;
    ``phases`` (N,) codes of :func:`omm_cx.analysis.structure_id.identify_phases`,
    computed here when None). ``colors`` override the defaults per key. The legend reads
    "key count" for the ions drawn (``ax.get_legend()``). Returns the axes."""
    species = list(species)
    if len(species) != len(np.asarray(xyz_A).reshape(-1, 3)):
        raise AnalysisError(f"{len(species)} species for {len(np.asarray(xyz_A).reshape(-1, 3))} "
                            f"positions")
    if color_by == "phase" and phases is None:
        from omm_cx.analysis.structure_id import identify_phases

        phases = identify_phases(xyz_A, species, box_A)
    slab = select_slab(xyz_A, box_A, normal=normal, rotation=rotation, thickness_A=thickness_A,
                       centre_A=centre_A, centre_atoms=centre_atoms, half_width_A=half_width_A)
    keys = slab_keys(species, slab, color_by, phases)
    base = SPECIES_COLORS if color_by == "species" else PHASE_COLORS
    palette = {**base, **(colors or {})}
    order = list(SPECIES_COLORS) if color_by == "species" else list(PHASE_COLORS)
    if title is None:
        title = f"slab normal {slab.label}, {thickness_A:g} Å"
    return draw_slab(slab, species, keys, palette, size_scale=size_scale,
                     depth_shade=depth_shade, half_width_A=half_width_A, legend_order=order,
                     title=title, legend=legend, ax=ax)

"""NC membership: which ions belong to the nanocrystal in a frame.

Criterion (default, ``method="coordination"``):

1. The **anion framework** is the largest cluster of anions in which two anions are
   linked when closer than ``framework_cutoff_A`` (default: ``framework_factor`` = 1.2
   times the median nearest anion-anion distance of the first frame; 4.31 Å x 1.2 =
   5.2 Å in PbSe, between the first (a/sqrt2) and second (a) anion shells of rocksalt
   and zinc blende). Framework anions are the NC's anions; an anion that has left the
   cluster has dissolved (004 Supplementary Fig. 5).
2. A **cation** belongs to the NC when at least ``min_anions`` framework anions lie
   within ``cutoff_A`` (default 1 anion within 3.6 Å: beyond the first cation-anion
   shell, 2.6-3.1 Å, below the second, 5.0-5.3 Å).
3. The **NC centre** is the centre of the framework anions (periodic images handled,
   see :func:`omm_cx.periodic.cluster_centre`); the **NC radius** reported is
   the radius of the uniform sphere with the framework's rms radius, sqrt(5/3) r_rms.

Why this matches 004's counting: 004 reports rho_Pb of about 0.1 for the reverse
study without exchange (Supplementary Fig. 3a: "CE did not take place"). Those in-going cations are adsorbed on the NC surface, bonded to
surface anions; one bond to the framework is what a surface-adsorbed cation has, so
``min_anions = 1`` counts them as in the NC, as the paper does. A cation in the solution
is at least one PSL diameter away from the framework and is not counted.

Alternative (``method="radius"``): an ion belongs to the NC when its distance from the
NC centre is below the current NC radius plus ``radius_margin_A``.

:func:`iter_membership` is the one loop "resolve the criterion on the first frame, then
membership per frame": the driver and every in-memory function go through it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Iterable, Iterator, Protocol

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from omm_cx.analysis.trajectory import Frame, frames_of
from omm_cx.errors import OmmCxError
from omm_cx.periodic import NeighborSearch, cluster_centre, distances

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md


class IonGroups(Protocol):
    """What membership needs of the groups (:class:`~omm_cx.analysis.groups.
    AnalysisGroups` has it): candidate cation and anion indices."""

    @property
    def cations(self) -> np.ndarray: ...

    @property
    def anions(self) -> np.ndarray: ...

#: Nearest-neighbour distances above this (Å) are ignored when estimating the
#: anion-anion nearest distance of the framework (dissolved anions).
_CONDENSED_A = 8.0


@dataclass(frozen=True)
class MembershipCriterion:
    """How NC membership is decided (see the module docstring). Lengths in Å."""

    method: str = "coordination"
    cutoff_A: float = 3.6
    min_anions: int = 1
    framework_cutoff_A: float | None = None
    framework_factor: float = 1.2
    radius_margin_A: float = 2.0

    def __post_init__(self):
        if self.method not in ("coordination", "radius"):
            raise OmmCxError(f"membership method {self.method!r} unknown; use 'coordination' "
                             f"or 'radius'")
        if self.cutoff_A <= 0 or self.min_anions < 1 or self.framework_factor <= 0:
            raise OmmCxError(f"membership criterion {self} is impossible: cutoff_A, "
                             f"min_anions and framework_factor must be positive")

    def resolved(self, xyz_A: np.ndarray, box_A: np.ndarray | None,
                 anions: np.ndarray) -> "MembershipCriterion":
        """A copy with ``framework_cutoff_A`` set from this frame when it is None."""
        if self.framework_cutoff_A is not None:
            return self
        d = nearest_anion_distance_A(xyz_A, box_A, anions)
        return replace(self, framework_cutoff_A=float(self.framework_factor * d))

    def describe(self) -> dict:
        """The criterion as a dict, with the rule in words (for summary.json)."""
        d = asdict(self)
        if self.method == "coordination":
            d["rule"] = (f"anions: the largest anion cluster (anion-anion links < "
                         f"{_fmt(self.framework_cutoff_A)} Å); cations: >= {self.min_anions} "
                         f"framework anion(s) within {self.cutoff_A} Å")
        else:
            d["rule"] = (f"ions closer to the NC centre than sqrt(5/3) x rms radius of the "
                         f"anion framework + {self.radius_margin_A} Å")
        return d


def _fmt(x):
    return "auto" if x is None else f"{x:.3f}"


@dataclass
class FrameMembership:
    """NC membership in one frame. Index arrays refer to atoms (0-based, file order)."""

    framework: np.ndarray  # anion indices of the largest anion cluster
    nc_anions: np.ndarray  # anions counted in the NC
    nc_cations: np.ndarray  # cations counted in the NC
    centre_A: np.ndarray  # (3,) NC centre in Å (wrapped into the box)
    radius_A: float  # sqrt(5/3) x rms radius of the framework anions, Å

    def mask(self, n_atoms: int) -> np.ndarray:
        """Boolean (n_atoms,) mask of the atoms in the NC."""
        m = np.zeros(n_atoms, dtype=bool)
        m[self.nc_anions] = True
        m[self.nc_cations] = True
        return m


def nearest_anion_distance_A(xyz_A: np.ndarray, box_A: np.ndarray | None,
                             anions: np.ndarray) -> float:
    """Median nearest-neighbour anion-anion distance (Å) among anions whose nearest
    anion is closer than 8 Å (condensed anions)."""
    anions = np.asarray(anions, dtype=int)
    if len(anions) < 2:
        raise OmmCxError(f"NC membership needs at least two anions; this system has "
                         f"{len(anions)} (check the species roles)")
    ns = NeighborSearch(xyz_A[anions], box_A)
    d, _ = ns.nearest(xyz_A[anions], 2)
    d = d[:, 1]
    d = d[d < _CONDENSED_A]
    if len(d) == 0:
        raise OmmCxError(f"no two anions are closer than {_CONDENSED_A} Å: there is no "
                         f"nanocrystal in this frame")
    return float(np.median(d))


def anion_framework(xyz_A: np.ndarray, box_A: np.ndarray | None, anions: np.ndarray,
                    cutoff_A: float) -> np.ndarray:
    """Indices (sorted) of the anions in the largest anion cluster (links < cutoff_A)."""
    anions = np.asarray(anions, dtype=int)
    if len(anions) == 0:
        return anions
    pairs = NeighborSearch(xyz_A[anions], box_A).pairs(cutoff_A)
    n = len(anions)
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    return np.sort(anions[labels == np.argmax(sizes)])


def frame_membership(xyz_A: np.ndarray, box_A: np.ndarray | None, cations: np.ndarray,
                     anions: np.ndarray, criterion: MembershipCriterion) -> FrameMembership:
    """Membership in one frame.

    ``xyz_A`` (N, 3) positions in Å; ``box_A`` (3, 3) or None; ``cations``, ``anions``:
    candidate atom indices; ``criterion`` with ``framework_cutoff_A`` resolved (see
    :meth:`MembershipCriterion.resolved`).
    """
    if criterion.framework_cutoff_A is None:
        criterion = criterion.resolved(xyz_A, box_A, anions)
    cations = np.asarray(cations, dtype=int)
    framework = anion_framework(xyz_A, box_A, anions, criterion.framework_cutoff_A)
    centre, unwrapped = cluster_centre(xyz_A[framework], box_A)
    r_rms = float(np.sqrt(np.mean(np.sum((unwrapped - centre) ** 2, axis=1)))) if len(framework) else 0.0
    radius = float(np.sqrt(5.0 / 3.0) * r_rms)
    if criterion.method == "coordination":
        # only cations closer to the centre than the farthest framework anion + cutoff can
        # have a framework anion within the cutoff
        r_far = float(np.sqrt(np.max(np.sum((unwrapped - centre) ** 2, axis=1)))) if len(framework) else 0.0
        near = cations[distances(centre, xyz_A[cations], box_A) <= r_far + criterion.cutoff_A]
        ns = NeighborSearch(xyz_A[framework], box_A)
        n_coord = ns.count_within(xyz_A[near], criterion.cutoff_A) if len(near) else np.zeros(0, int)
        nc_cations = near[n_coord >= criterion.min_anions]
        nc_anions = framework
    else:
        limit = radius + criterion.radius_margin_A
        nc_cations = cations[distances(centre, xyz_A[cations], box_A) < limit]
        anions = np.asarray(anions, dtype=int)
        nc_anions = anions[distances(centre, xyz_A[anions], box_A) < limit]
    return FrameMembership(framework, np.sort(nc_anions), np.sort(nc_cations), centre, radius)


@dataclass
class Membership:
    """Membership over a trajectory: ``in_nc`` (n_frames, n_atoms) bool, ``centre_A``
    (n_frames, 3) Å, ``radius_A`` (n_frames,) Å, ``framework`` (n_frames, n_atoms) bool,
    ``time_ps`` (n_frames,), and the resolved ``criterion``."""

    in_nc: np.ndarray
    framework: np.ndarray
    centre_A: np.ndarray
    radius_A: np.ndarray
    time_ps: np.ndarray
    criterion: MembershipCriterion


def resolve_criterion(criterion: MembershipCriterion | None, frame: Frame,
                      groups: IonGroups) -> MembershipCriterion:
    """``criterion`` (default :class:`MembershipCriterion`) with the framework cutoff set
    from ``frame`` when it is not given."""
    return (criterion or MembershipCriterion()).resolved(frame.xyz_A, frame.box_A, groups.anions)


def iter_membership(frames: Iterable[Frame], groups: IonGroups,
                    criterion: MembershipCriterion | None = None
                    ) -> Iterator[tuple[Frame, FrameMembership]]:
    """Yield ``(frame, FrameMembership)`` for each :class:`~omm_cx.analysis.trajectory.
    Frame`; the framework cutoff is resolved on the first frame when not given.

    The one "resolve the criterion, loop over frames, compute membership" loop: the
    driver (:mod:`omm_cx.analysis.driver`) and the in-memory functions
    (:func:`compute_membership`, :func:`~omm_cx.analysis.exchange.compute_exchange`,
    :func:`~omm_cx.analysis.density.radial_density`,
    :func:`~omm_cx.analysis.jumps.find_jumps`) all go through it."""
    cations, anions = groups.cations, groups.anions
    for frame in frames:
        if criterion is None or criterion.framework_cutoff_A is None:
            criterion = resolve_criterion(criterion, frame, groups)
        yield frame, frame_membership(frame.xyz_A, frame.box_A, cations, anions, criterion)


def compute_membership(traj: "md.Trajectory", groups: IonGroups,
                       criterion: MembershipCriterion | None = None,
                       dt_ps: float | None = None) -> Membership:
    """NC membership of every frame of an in-memory trajectory (mdtraj, nm).

    Returns a :class:`Membership`; positions are converted to Å internally.
    """
    n = traj.n_atoms
    criterion = resolve_criterion(criterion, next(frames_of(traj[:1], dt_ps)), groups)
    in_nc, fw, centres, radii, times = [], [], [], [], []
    for frame, m in iter_membership(frames_of(traj, dt_ps), groups, criterion):
        in_nc.append(m.mask(n))
        f = np.zeros(n, dtype=bool)
        f[m.framework] = True
        fw.append(f)
        centres.append(m.centre_A)
        radii.append(m.radius_A)
        times.append(frame.time_ps)
    return Membership(np.array(in_nc), np.array(fw), np.array(centres), np.array(radii),
                      np.array(times), criterion)

"""The analysis protocol (modelled on MDAnalysis' ``AnalysisBase``).

An analysis is a class with a ``name`` registered in :mod:`omm_cx.analysis.registry`:

- :meth:`Analysis.prepare` gets an :class:`AnalysisContext` (groups, the first frame,
  frame count and times, options, the build record, the resolved membership criterion)
  and sets up its accumulator; raising :class:`CannotRun` says why it cannot run on these
  inputs (the driver records the reason in summary.json's ``skipped`` or, strict, stops);
- :meth:`Analysis.add` takes one frame and, for analyses with ``needs_membership``, the
  frame's NC membership (computed once per frame by the driver and shared);
- :meth:`Analysis.finish` returns an :class:`AnalysisOutput`: CSV tables, JSON files,
  figures and its entry of summary.json.

An analysis also declares what it takes and gives: ``Options``, a dataclass of its own
settings (defaults; units in the field names: ``r_max_A``), set by the driver as
``self.options`` before :meth:`prepare` (:meth:`~omm_cx.analysis.options.AnalysisOptions.
options_for`; ``omm-cx analyze --set NAME.FIELD=VALUE``), and ``summary_keys``, the keys
of its summary.json entry with their meaning (``omm-cx analyze --describe`` lists both;
studies read them as ``summary:NAME.KEY``); :meth:`Analysis.report_line` is its line in
``omm-cx analyze``'s printout.

Accumulators must not hold every frame (the driver streams long trajectories in chunks).
The driver (:mod:`omm_cx.analysis.driver`) owns frame iteration, chunking, membership,
progress, skipping and writing; adding an analysis is one module (the class) and one line
in :data:`omm_cx.analysis.registry.ANALYSES` (docs/architecture.md shows one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Sequence

from omm_cx.errors import AnalysisError, CannotRun

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

    from omm_cx.analysis.groups import AnalysisGroups
    from omm_cx.analysis.membership import FrameMembership, MembershipCriterion
    from omm_cx.analysis.options import AnalysisOptions
    from omm_cx.analysis.trajectory import Frame
    from omm_cx.systems.record import BuildRecord

#: CannotRun and AnalysisError are re-exported: an analysis module raises them from here.
__all__ = ["Analysis", "AnalysisContext", "AnalysisError", "AnalysisOutput", "CannotRun",
           "FigureSource"]


@dataclass
class AnalysisContext:
    """What an analysis knows before the first frame. ``first``: frame 0 (Å, ps);
    ``n_frames``; ``dt_ps`` between frames and ``t0_ps`` of frame 0; ``build_info``: the
    typed build record (:class:`~omm_cx.systems.record.BuildRecord`; None without
    build.json); ``criterion``: the membership criterion
    resolved on the first frame (None when the system has no nanocrystal)."""

    groups: "AnalysisGroups"
    first: "Frame"
    n_frames: int
    dt_ps: float
    t0_ps: float
    options: "AnalysisOptions"
    build_info: "BuildRecord | None"
    criterion: "MembershipCriterion | None"

    @property
    def t_last_ps(self) -> float:
        """Time of the last frame, ps."""
        return self.t0_ps + (self.n_frames - 1) * self.dt_ps

    @property
    def has_nc(self) -> bool:
        """True when there is a nanocrystal (two anions or more)."""
        return self.criterion is not None

    @property
    def box_A(self) -> "np.ndarray | None":
        """The first frame's box (3, 3) in Å, or None (vacuum)."""
        return self.first.box_A


#: A matplotlib Figure, or a function without arguments that makes one (called only
#: when plots are wanted).
FigureSource = Any


@dataclass
class AnalysisOutput:
    """What an analysis hands back. ``tables``: file name (``exchange.csv``) -> columns
    (name -> equal-length sequences); ``json``: file name -> JSON data; ``figures``:
    file name (``exchange.png``) -> matplotlib Figure or a function returning one;
    ``files``: file name -> ``writer(path) -> path`` for any other file (e.g. a compressed
    array), written atomically; ``summary``: the analysis' entry in summary.json's
    ``analyses``."""

    summary: dict
    tables: dict[str, Mapping[str, Sequence]] = field(default_factory=dict)
    json: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, FigureSource] = field(default_factory=dict)
    files: dict[str, Callable[[Path], Path]] = field(default_factory=dict)


class Analysis:
    """Base class of the analyses (see the module docstring).

    ``needs_nc``: skipped when the system has no nanocrystal (fewer than two anions);
    ``needs_membership``: :meth:`add` gets the frame's NC membership (implies needs_nc).
    """

    name: ClassVar[str] = ""
    needs_nc: ClassVar[bool] = False
    needs_membership: ClassVar[bool] = False
    #: A dataclass of this analysis' settings (None: it has none).
    Options: ClassVar[type | None] = None
    #: Flat fields of AnalysisOptions that fill ``Options`` (flat name -> field), or the
    #: name of one flat field that holds the whole ``Options`` object.
    flat_options: ClassVar[dict[str, str] | str] = {}
    #: Keys of the summary.json entry -> their meaning (with units).
    summary_keys: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        self.ctx: AnalysisContext | None = None
        self.options: Any = None

    @classmethod
    def report_line(cls, entry: Mapping[str, Any]) -> str | None:
        """One line for ``omm-cx analyze``'s printout from this analysis' summary entry
        (default: its declared ``summary_keys`` that are numbers)."""
        parts = [f"{k} {entry[k]:.4g}" if isinstance(entry[k], float) else f"{k} {entry[k]}"
                 for k in cls.summary_keys if isinstance(entry.get(k), (int, float))]
        return ", ".join(parts) or None

    def prepare(self, ctx: AnalysisContext) -> None:
        """Set up for the frames of ``ctx``; raise :class:`CannotRun` with the reason
        when the analysis does not apply."""
        self.ctx = ctx

    def add(self, frame: "Frame", membership: "FrameMembership | None") -> None:
        """One frame, in order (membership: None unless ``needs_membership``)."""
        raise NotImplementedError

    def finish(self) -> AnalysisOutput:
        """Tables, JSON files, figures and the summary entry after the last frame."""
        raise NotImplementedError

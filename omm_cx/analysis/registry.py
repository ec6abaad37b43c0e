"""The analyses by name. Adding an analysis: write its :class:`~omm_cx.analysis.base.
Analysis` subclass (with its ``Options`` and ``summary_keys``) in its own module and add
one line to :data:`ANALYSES`; ``omm-cx analyze --what NAME --set NAME.FIELD=V``, the
printout, ``--describe`` and study quantities (``summary:NAME.KEY``) then know it. Classes
are imported on first use ("module:Class"), so listing the names imports nothing heavy."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Sequence

from omm_cx.errors import AnalysisError

if TYPE_CHECKING:  # pragma: no cover
    from omm_cx.analysis.base import Analysis

#: name -> "module:Class", in the order the analyses run and are reported.
ANALYSES: dict[str, str] = {
    "exchange": "omm_cx.analysis.exchange:ExchangeAnalysis",
    "density": "omm_cx.analysis.density:DensityAnalysis",
    "rdf": "omm_cx.analysis.rdf:RDFAnalysis",
    "jumps": "omm_cx.analysis.jumps:JumpAnalysis",
    "rmsd": "omm_cx.analysis.rmsd:RMSDAnalysis",
    "msd": "omm_cx.analysis.diffusion:MSDAnalysis",
    "facets": "omm_cx.analysis.facets:FacetAnalysis",
    "phases": "omm_cx.analysis.phases:PhaseAnalysis",
    "lattice": "omm_cx.analysis.lattice:LatticeAnalysis",
    "host_order": "omm_cx.analysis.host_order:HostOrderAnalysis",
}

#: Every analysis (the full set).
WHAT_ALL: tuple[str, ...] = tuple(ANALYSES)
#: What runs when nothing is asked for (facets is opt-in: it needs an oriented NC crystal;
#: phases is opt-in: it classifies every ion's structure, ~1 s per 10,000-ion frame;
#: lattice and host_order are opt-in: they are for bulk crystals).
WHAT_DEFAULT: tuple[str, ...] = tuple(n for n in ANALYSES
                                      if n not in ("facets", "phases", "lattice", "host_order"))


def parse_what(what: Sequence[str] | str) -> list[str]:
    """Analysis names from "a,b" or a sequence, in registry order; unknown names are an
    :class:`AnalysisError` listing the known ones."""
    items = [w.strip() for w in (what.split(",") if isinstance(what, str) else what) if w.strip()]
    bad = [w for w in items if w not in ANALYSES]
    if bad:
        raise AnalysisError(f"unknown analysis {', '.join(bad)}; choose from {', '.join(ANALYSES)}")
    return [w for w in ANALYSES if w in items]


def analysis_class(name: str) -> "type[Analysis]":
    """The class registered as ``name``."""
    if name not in ANALYSES:
        raise AnalysisError(f"unknown analysis {name}; choose from {', '.join(ANALYSES)}")
    module, cls = ANALYSES[name].split(":")
    return getattr(importlib.import_module(module), cls)


def create(name: str) -> "Analysis":
    """A new instance of the analysis ``name``."""
    return analysis_class(name)()

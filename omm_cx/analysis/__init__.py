"""Analyses of cation-exchange trajectories: NC membership, exchange ratio, radial ion
densities, g(r), jumps of the leaving cation, per-atom RMSD maps, MSD and diffusion,
exchange per facet family in the particle's rotating frame, the local crystal phase of
every ion, live exchange during a run, cross-section pictures, and powder X-ray patterns
by the Debye equation.

mdtraj-like plain functions over in-memory trajectories (``compute_exchange(traj,
groups)``), and analysis classes (:mod:`omm_cx.analysis.base`, registered by name in
:mod:`omm_cx.analysis.registry`) that the driver (:func:`analyze_trajectory`,
:mod:`omm_cx.analysis.driver`) streams long trajectories through chunk by chunk. Both go
through one membership loop (:func:`omm_cx.analysis.membership.iter_membership`).
User-facing lengths are in Å, times in ps, densities in ions/nm^3 (names say so:
``r_A``, ``time_ps``).

Importing this package imports nothing heavy; names are loaded on first use.
"""

from __future__ import annotations

import importlib

_EXPORTS = {
    # groups and trajectories
    "AnalysisGroups": "groups", "groups_from_build_info": "groups",
    "groups_from_geometry": "groups", "load_build_info": "groups", "as_build_record": "groups",
    "species_of_topology": "groups", "AnalysisError": "groups",
    "Frame": "trajectory", "frames_of": "trajectory", "open_trajectory": "trajectory",
    # protocol, registry, summary record
    "Analysis": "base", "AnalysisContext": "base", "AnalysisOutput": "base", "CannotRun": "base",
    "WHAT_ALL": "registry", "WHAT_DEFAULT": "registry", "analysis_class": "registry",
    "AnalysisSummary": "record", "read_summary": "record",
    # membership
    "MembershipCriterion": "membership", "FrameMembership": "membership",
    "frame_membership": "membership", "compute_membership": "membership",
    "iter_membership": "membership", "anion_framework": "membership",
    # exchange
    "compute_exchange": "exchange", "EXCHANGE_COLUMNS": "exchange",
    # density
    "radial_density": "density", "core_shell_boundary": "density", "RadialDensity": "density",
    # rdf
    "compute_rdf": "rdf", "RDFResult": "rdf",
    # jumps
    "JumpCriteria": "options", "Jump": "jumps", "find_jumps": "jumps",
    "summarize_jumps": "jumps", "summarize_runs": "jumps",
    # rmsd
    "per_atom_rmsd": "rmsd", "mobile_atoms": "rmsd", "MOBILE_THRESHOLD_A": "options",
    # diffusion
    "compute_msd": "diffusion", "fit_diffusion": "diffusion", "arrhenius_fit": "diffusion",
    # facets
    "FacetAccumulator": "facets", "facet_family": "facets", "facet_directions": "facets",
    # phases, orientation, live exchange, pictures
    "identify_phases": "structure_id", "PHASES": "structure_id", "NOT_CLASSIFIED": "structure_id",
    "phase_counts": "structure_id", "PhaseAnalysis": "phases",
    "OrientationTracker": "orientation", "fit_cubic_orientation": "orientation",
    "kabsch_rotation": "orientation", "LiveExchangeReporter": "live", "StopRule": "live",
    "live_reporters": "live", "render_slab": "render",
    # diffraction
    "debye_intensity": "xrd.debye", "compute_debye": "xrd.debye", "find_peaks": "xrd.debye",
    "peaks_table": "xrd.debye", "q_grid": "xrd.debye", "conversion_from_q220": "xrd.debye",
    "sphere_diffusion_conversion": "xrd.debye", "fit_sphere_diffusion": "xrd.debye",
    "form_factor": "xrd.form_factors",
    "pattern_of_structure": "xrd.pipeline", "pattern_of_run": "xrd.pipeline", "write_xrd": "xrd.pipeline",
    # driver and combining runs
    "analyze_trajectory": "driver", "analyze_run_dir": "driver", "AnalysisOptions": "options",
    "combine_runs": "runs", "run_temperature_K": "runs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"omm_cx.analysis.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'omm_cx.analysis' has no attribute {name!r}")


def __dir__():
    return __all__

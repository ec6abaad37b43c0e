"""Plots of the analyses (matplotlib; every function takes ``ax=None`` and returns the
axes): time series, profiles, g(r), RMSD maps, MSD, Arrhenius, diffraction (:mod:`.core`)
and the phase plots (:mod:`.phases`). Importing this package imports no matplotlib."""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    **{name: "core" for name in (
        "new_axes", "plot_exchange", "plot_exchange_interior", "plot_facets", "plot_counts",
        "plot_anions", "plot_density", "plot_rdf", "plot_rmsd_map", "plot_msd",
        "plot_arrhenius", "plot_xrd")},
    **{name: "phases" for name in (
        "PHASE_COLOURS", "plot_phase_fractions", "plot_phase_profile", "plot_boundary_layers")},
})

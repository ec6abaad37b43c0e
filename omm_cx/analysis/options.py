"""Settings of the analyses: :class:`AnalysisOptions` (what ``omm-cx analyze`` sets) and
the jump criteria of 004 (:class:`JumpCriteria`). Lengths in Å, times in ps.

Each analysis owns its settings: a dataclass ``Options`` on its class
(:class:`omm_cx.analysis.base.Analysis`), which :meth:`AnalysisOptions.options_for` fills
from the analysis' entry of ``per_analysis`` (``{"rdf": {"r_max_A": 10}}``; ``omm-cx
analyze --set rdf.r_max_A=10``) over the flat fields of the built-in analyses below
(``rdf_r_max_A``, ...; kept so that existing study files and scripts keep working)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from typing import Any, Sequence

from omm_cx.analysis.membership import MembershipCriterion
from omm_cx.errors import AnalysisError

#: Mobile-atom threshold of the RMSD maps (000 Fig. S25), Å.
MOBILE_THRESHOLD_A = 0.84


@dataclass(frozen=True)
class JumpCriteria:
    """Jump criteria (defaults: 004; see :mod:`omm_cx.analysis.jumps`). Lengths in Å,
    times in ps."""

    interval_ps: float = 2.0
    min_displacement_A: float = 2.0
    max_centre_distance_A: float = 20.0
    neighbor_cutoff_A: float = 4.5
    interface_min_neighbors: int = 3  # "larger than 2"
    neighbors_frame: str = "pre"
    kick_cutoff_A: float = 3.6
    core_min_neighbors: int = 3
    core_radius_A: float | None = None
    #: The PbS core region of a kick-out partner: "density" (inside the core/shell
    #: boundary of the pre-jump frame's radial cation profile), "local" (at least
    #: ``core_min_neighbors`` Pb within ``neighbor_cutoff_A``); ``core_radius_A`` overrides.
    kick_core: str = "density"
    #: Radial bin (Å) of the "density" core boundary.
    core_bin_A: float = 0.5
    site_cutoff_A: float = 4.1
    #: "two-class" (004: every jump is octahedral or tetrahedral): octa when at least
    #: ``octa_min_anions`` anions lie within site_cutoff_A, tetra otherwise; "strict": only
    #: the counts of ``site_classes`` have a class, any other count is "other".
    site_rule: str = "two-class"
    octa_min_anions: int = 5
    site_classes: tuple = ((6, "octa"), (4, "tetra"))
    n_nearest: int = 4

    def __post_init__(self):
        if self.neighbors_frame not in ("pre", "post"):
            raise AnalysisError(f"neighbors_frame {self.neighbors_frame!r}: use 'pre' or 'post'")
        if self.kick_core not in ("density", "local"):
            raise AnalysisError(f"kick_core {self.kick_core!r}: use 'density' or 'local'")
        if self.site_rule not in ("two-class", "strict"):
            raise AnalysisError(f"site_rule {self.site_rule!r}: use 'two-class' or 'strict'")

    def site_of(self, n_anions: int) -> str:
        """Class of a jump's target site from the anions within ``site_cutoff_A``."""
        if self.site_rule == "strict":
            return dict(self.site_classes).get(int(n_anions), "other")
        return "octa" if int(n_anions) >= self.octa_min_anions else "tetra"

    def describe(self) -> dict:
        d = asdict(self)
        d["site_classes"] = {str(k): v for k, v in self.site_classes}
        return d


@dataclass
class AnalysisOptions:
    """Settings of :func:`~omm_cx.analysis.driver.analyze_trajectory` (lengths in Å,
    times in ps)."""

    membership: MembershipCriterion = field(default_factory=MembershipCriterion)
    jumps: JumpCriteria = field(default_factory=JumpCriteria)
    roles: dict | None = None
    #: the in-going cation species (default: the solution cations); with a build record,
    #: NC-built cations of these species (a core/shell start's shell) count as in-going
    in_going_species: Sequence[str] | None = None
    facet_shell_A: float = 6.0  # outer layer counted by the facets analysis
    density_bin_A: float = 0.5
    density_windows: int = 4
    density_r_max_A: float | None = None
    rdf_pairs: Sequence[tuple[str, str]] | None = None  # None: every pair of species
    rdf_r_max_A: float = 12.0
    rdf_bin_A: float = 0.05
    rdf_max_frames: int = 200
    rmsd_select: str = "nc"
    rmsd_reference: str = "original_anions"
    rmsd_fit: str = "rigid"
    rmsd_threshold_A: float = MOBILE_THRESHOLD_A
    msd_select: str = "in_going"
    msd_max_lag_ps: float | None = None
    msd_fit_window_ps: tuple[float, float] | None = None
    msd_max_origins: int = 50
    phases_every: int | None = None  # classify every nth frame; None: phases_max_frames
    phases_max_frames: int = 500  # frames classified when phases_every is None (evenly spread)
    phases_bin_A: float = 2.0  # shell width of phase_profile.csv
    phases_layers: int = 4  # anion layers on each side of the phase boundary profile
    chunk_frames: int = 500
    plots: bool = True
    progress: bool | None = None  # None: only when stderr is a terminal
    #: analysis name -> {field of its Options: value}; wins over the flat fields above
    per_analysis: dict = field(default_factory=dict)

    def options_for(self, cls) -> Any:
        """The settings of analysis class ``cls`` (an instance of its ``Options``, None
        when it has none): defaults, then the flat fields it maps (``cls.flat_options``),
        then ``per_analysis[cls.name]``. An unknown field is an :class:`AnalysisError`
        naming the known ones."""
        model = getattr(cls, "Options", None)
        given = dict(self.per_analysis.get(cls.name) or {})
        if model is None:
            if given:
                raise AnalysisError(f"{cls.name}: takes no settings (got {', '.join(given)})")
            return None
        base = getattr(self, cls.flat_options) if isinstance(cls.flat_options, str) else \
            model(**{f: getattr(self, flat) for flat, f in cls.flat_options.items()})
        known = {f.name for f in fields(model)}
        bad = sorted(set(given) - known)
        if bad:
            raise AnalysisError(f"{cls.name}: unknown setting {', '.join(bad)}; its settings: "
                                f"{', '.join(sorted(known))} (omm-cx analyze --describe)")
        try:
            return replace(base, **given) if is_dataclass(base) else model(**given)
        except (TypeError, ValueError) as exc:
            raise AnalysisError(f"{cls.name}: {exc}") from None

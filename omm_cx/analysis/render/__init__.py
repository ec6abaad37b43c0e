"""Pictures of structures: cross-section slabs through the NC (:mod:`.slab`) and the
pictures and movies of run folders, build folders and trajectories (:mod:`.movie`,
``omm-cx render``). Importing this package imports no matplotlib."""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    **{name: "slab" for name in (
        "THICKNESS_A", "Slab", "parse_direction", "slab_axes", "select_slab", "slab_keys",
        "legend_entries", "draw_slab", "render_slab")},
    **{name: "movie" for name in (
        "PNG_DPI", "MARGIN_A", "RenderInput", "open_render_input", "parse_frames",
        "follow_frames", "view_half_width", "render_picture", "ffmpeg_path", "write_movie")},
})

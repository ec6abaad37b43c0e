"""Structure builders: oriented crystals, nanocrystal shapes, charge rules, solutions.
Recipes (:mod:`omm_cx.recipes`) put them together."""

"""Building systems: crystal lattices (:mod:`.lattice`), NC shapes (:mod:`.shapes`),
charge neutrality (:mod:`.charge`), solution boxes (:mod:`.solution`), recipes
(:mod:`.recipes`) and the build folder with its record (:mod:`.builddir`)."""

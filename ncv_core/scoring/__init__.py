"""The parts of variant scoring (:mod:`ncv_core.score` drives them): allele windows, effects,
the per-chunk scorer, the random-SNV background and the ranking of effects."""

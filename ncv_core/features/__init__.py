"""Loci -> placed loci -> the feature table.

``loci`` (parse rows, place them on a genome: contigs, bounds, REF, duplicates), ``tracks`` (a
cell line's tracks checked against the genome: Peak/Max/Sum per locus), ``build`` (the feature
table of a loci file, streamed in chunks and cached on disk).
"""

"""The only package that opens files: one file format per module, heavy libraries inside it.

``tables`` (Parquet/TSV/CSV + metadata, JSON, the one atomic writer, rejection reports),
``genome`` (FASTA, pyfaidx), ``loci_files`` (VCF/BED/CSV/TSV rows), ``bigwig`` (pybigtools),
``peaks`` (BED/narrowPeak), ``manifest`` (``tracks.tsv``), ``model_folder`` (safetensors +
``card.json`` + ``split.tsv``), ``scores`` (streamed score tables, annotated VCF), ``motif_files``
(MEME, JASPAR), ``cache`` (the one cache root), ``text`` (the one check that an input is text;
lines at any line end), ``fai`` (a ``.fai`` index checked against its FASTA). Modules here build on the foundation only
(errors, constants, coords, sequence, rejections); ``tests/test_layering.py`` checks it.
"""

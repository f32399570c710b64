"""Looking inside models: saturation mutagenesis, attributions, filter motifs, motif comparison.

One public verb per module:

- ``ism``: :func:`~ncv_core.interpret.ism.saturation_mutagenesis` and its long table;
- ``attribution``: :func:`~ncv_core.interpret.attribution.attribute` (captum is wrapped there only);
- ``filters``: first-layer filter PWMs, filter influence and its clustering (Basset);
- ``motifs``: MEME files and the JASPAR CORE vertebrates matrices;
- ``tomtom``: :func:`~ncv_core.interpret.tomtom.tomtom`, PWMs against a motif database.

Everything works on the model contract of ``docs/ARCHITECTURE.md`` (``forward(x_seq, x_tab)``,
``head``, ``n_tasks``, ...) and returns arrays or DataFrames, never figures. Passed models are
never modified: evaluation mode is set inside a context and restored after.
"""

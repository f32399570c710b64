"""Looking inside models: feature importance, saturation mutagenesis, attributions, filter motifs,
motif comparison.

One public verb per module:

- ``importance``: :func:`~ncv_core.interpret.importance.feature_importance`, distributions per
  label and Pearson correlation with the label (no training);
- ``ablation``: :func:`~ncv_core.interpret.ablation.group_ablation`, cross-validated AUROC with
  only one feature group and with each group left out;
- ``inputs``: :func:`~ncv_core.interpret.inputs.model_inputs`, a saved model + a pasted sequence,
  a locus (features built by the feature pipeline) or table rows -> model inputs;
- ``ism``: :func:`~ncv_core.interpret.ism.saturation_mutagenesis` and its long table (fastISM-style
  partial recomputation in the private ``_partial``);
- ``attribution``: :func:`~ncv_core.interpret.attribution.attribute` (captum is wrapped there only);
- ``filters``: first-layer filter PWMs, filter influence and its clustering (Basset);
- ``tomtom``: :func:`~ncv_core.interpret.tomtom.tomtom`, PWMs against a motif database;
- ``filter_report``: :func:`~ncv_core.interpret.filter_report.filter_report`, filters -> PWMs,
  matches to known motifs, influence and clusters in one call (what ``ncv motifs`` writes).

Everything works on the model contract of ``docs/ARCHITECTURE.md`` (``forward(x_seq, x_tab)``,
``head``, ``n_tasks``, ...) and returns arrays or DataFrames, never figures. Passed models are
never modified: hooks, captum and mode switches work on a private copy
(:func:`ncv_core.interpret._model.private_copy`), so two threads interpreting one shared model
(the app's cache) get what serial runs give.
"""

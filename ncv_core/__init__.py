"""ncv-explorer core: which non-coding variants matter, and why.

The package is layered by concern (see ``docs/ARCHITECTURE.md``):

- ``loci``, ``genome``, ``tracks``, ``features``: loci files -> feature tables;
- ``demo``: the built-in simulated data set;
- ``models``, ``training``, ``evaluate``, ``modelio``: networks, training and model files;
- ``interpret``, ``score``: looking inside models and scoring variants;
- ``cli``: the ``ncv`` command.

Nothing here imports streamlit.
"""

__version__ = "0.1.0"

"""Figures of core results: pure functions (no Streamlit), so tests can call them directly.

Plotly figures throughout, sequence logos included (letters drawn as filled outlines, so the
modebar's camera saves any of them as PNG). Each builder takes what a core function returned and
only lays it out. One module per page family; everything is re-exported here
(``figures.roc_figure``).
"""

from ui.figures.cross_species import *  # noqa: F403
from ui.figures.evaluation import *  # noqa: F403
from ui.figures.importance import *  # noqa: F403
from ui.figures.imputation import *  # noqa: F403
from ui.figures.sequence import *  # noqa: F403
from ui.figures.style import (  # noqa: F401
    BASE_COLORS,
    BASELINE_PALETTE,
    CONFIG,
    METHOD_COLORS,
    NEUTRAL,
    baseline_colors,
    layout,
    model_color,
)
from ui.figures.tracks import *  # noqa: F403
from ui.figures.training import *  # noqa: F403
from ui.figures.variants import *  # noqa: F403

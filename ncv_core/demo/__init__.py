"""The built-in simulated demo data set: genome, tracks and labelled loci with a known truth.

``build_demo(out_dir, seed)`` writes it; ``ensure_demo()`` builds it once into a cache folder and
reuses it. ``docs/DEMO.md`` describes the generative model and what ``truth.json`` holds.
"""

from ncv_core.demo.build import DemoPaths, build_demo, default_demo_dir, ensure_demo
from ncv_core.demo.params import DEMO_VERSION

__all__ = ["DEMO_VERSION", "DemoPaths", "build_demo", "default_demo_dir", "ensure_demo"]

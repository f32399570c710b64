"""Constants shared by the impute tests and their fixtures (``conftest.py``)."""

from __future__ import annotations

HELD = [("human_c0", "a0"), ("human_c1", "a1"), ("human_c2", "a2"), ("human_c3", "a3")]
"""Held-out tracks of the single-species fixture: one per assay, each from another cell type."""

NEW_CELL = "human_c5"
"""The cell type left out of the base fit and added later with the rest frozen."""

EPOCHS = 10

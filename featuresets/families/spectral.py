"""Placeholder: filled in by the feature work of issue 3."""
from __future__ import annotations

FAMILY_CLASSES: tuple = ()

"""Registry of feature families by name, in the order their columns appear in a vector.

Each module below lists its families in ``FAMILY_CLASSES``; a family's requirements must come
earlier in this order.
"""
from __future__ import annotations

from featuresets.families import cepstral, energy, modulation, spectral, voice, whisper
from featuresets.families.base import Family, NoParams

_MODULES = (energy, cepstral, spectral, voice, modulation, whisper)

FAMILIES: dict[str, type[Family]] = {
    family.name: family for module in _MODULES for family in module.FAMILY_CLASSES
}



def with_requirements(selected) -> list[str]:
    """The selected families plus everything they require, in registry order."""
    needed: set[str] = set()
    stack = list(selected)
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(FAMILIES[name].requires)
    return [name for name in FAMILIES if name in needed]


__all__ = ["FAMILIES", "Family", "NoParams", "with_requirements"]

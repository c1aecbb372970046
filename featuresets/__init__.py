"""Feature sets: named configurations and the extractor that turns audio into a feature vector."""
from featuresets.config import (
    ALL_FUNCTIONALS,
    FEATURE_SETS,
    FeatureSetConfig,
    get_feature_set,
)
from featuresets.extractor import FeatureExtractor
from featuresets.families import FAMILIES

__all__ = [
    "ALL_FUNCTIONALS",
    "FAMILIES",
    "FEATURE_SETS",
    "FeatureExtractor",
    "FeatureSetConfig",
    "get_feature_set",
]

"""Feature sets: named configurations and the extractor that turns audio into a feature vector."""
from featuresets.config import (
    ALL_FUNCTIONALS,
    FEATURE_SETS,
    LLD_FAMILIES,
    FeatureSetConfig,
    get_feature_set,
)
from featuresets.extractor import FeatureExtractor

__all__ = [
    "ALL_FUNCTIONALS",
    "FEATURE_SETS",
    "LLD_FAMILIES",
    "FeatureExtractor",
    "FeatureSetConfig",
    "get_feature_set",
]

"""Feature sets: named configurations and the extractor that turns audio into a feature vector."""
from featuresets.config import (
    ALL_FUNCTIONALS,
    FEATURE_SETS,
    FeatureSetConfig,
    get_feature_set,
)
from featuresets.extractor import FeatureExtractor
from featuresets.encoded import EncodedExtractor, make_extractor, resolve_feature_set
from featuresets.families import FAMILIES

__all__ = [
    "ALL_FUNCTIONALS",
    "EncodedExtractor",
    "FAMILIES",
    "FEATURE_SETS",
    "FeatureExtractor",
    "FeatureSetConfig",
    "get_feature_set",
    "make_extractor",
    "resolve_feature_set",
]

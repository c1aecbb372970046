"""Errors of the model code (subclasses of the project's one base class, ``EmovoxError``)."""
from emovox.errors import EmovoxError, UsageError


class ModelError(EmovoxError):
    """A model directory cannot be written, read or used."""


class ModelIntegrityError(ModelError):
    """A file of a model directory is missing, or its checksum differs from the one in config.json."""


class FeatureMismatchError(ModelError):
    """Features from a store made with another feature configuration than the model's."""


class DataError(EmovoxError):
    """A store holds too little labelled data (or no speakers) for the requested protocol."""


__all__ = ["DataError", "FeatureMismatchError", "ModelError", "ModelIntegrityError", "UsageError"]

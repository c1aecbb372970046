"""emovox: batch speech emotion recognition.

This package holds what every other part of the project shares and nothing else:
the version and the error hierarchy.
"""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("emovox")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0+unknown"

from emovox.errors import EmovoxError

__all__ = ["EmovoxError", "__version__"]

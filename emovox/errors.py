"""One error base class for the project, one subclass per kind of failure.

Every message a user sees says what went wrong, where (which file or option), and what to do.
The command-line entry points print ``str(error)`` on one line and exit non-zero; a traceback is
shown only with ``--debug``.
"""


class EmovoxError(Exception):
    """Base class of every error emovox raises on purpose."""


class UsageError(EmovoxError):
    """A bad option or argument on the command line or in a flow parameter."""


class CorpusError(EmovoxError):
    """The input folder or manifest cannot be read as a corpus."""


class AudioError(EmovoxError):
    """One audio file cannot be decoded (empty, truncated, not audio, non-finite samples...)."""


class StoreError(EmovoxError):
    """The feature store cannot be created, opened or written."""


class StoreMismatchError(StoreError):
    """The store was made with a different feature configuration than the one requested."""


class StoreLockedError(StoreError):
    """Another run is writing to the same store."""

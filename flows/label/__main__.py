"""``python -m flows.label``: see ``flows.label.command``.

A package's ``__main__`` rather than a script, because Dask's local worker processes (started
with "spawn") import a script's main module again; they skip a package's ``__main__``.
"""
from flows import _cli
from flows.label.command import run

if __name__ == "__main__":
    _cli.exit(run())

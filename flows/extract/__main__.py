"""``python -m flows.extract``: the command line of ``flows.extract``.

A package's ``__main__`` rather than a script, because Dask's local worker processes (started
with "spawn") import a script's main module again, here the flow with Prefect and everything it
imports, ~3 s per worker; they skip a package's ``__main__``, and start in ~0.4 s.
"""
from flows import _cli
from flows.extract import build_parser, main

if __name__ == "__main__":
    _cli.exit(_cli.run(main, build_parser()))

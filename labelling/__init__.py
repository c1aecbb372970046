"""Labelling archives of recordings: speech segmentation (``segmenter``), the work of a Dask worker
(``worker``), per-file and per-segment results (``outputs``), reports (``reports``).

Imports nothing itself: the label command imports ``labelling.model_dir`` before it starts its
workers, and that must not wait for numba and the kernels.
"""

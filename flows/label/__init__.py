"""The label flow: an archive of recordings -> per-file and per-segment emotion labels.

``flows.label.flow`` holds the Prefect flow (``label_flow``) and its tasks; ``flows.label.command``
the command line, ``python -m flows.label``, which starts the local Dask workers before it imports
the flow (see its docstring). This package imports neither, so that importing the command costs
no Prefect.
"""

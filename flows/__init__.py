"""The emovox commands as Prefect flows: extract, train, evaluate, label, deploy (one module each).

Prefect reads its settings from the environment once, when it is first imported, so the
commands' defaults are set here, before any flow module imports Prefect. A user's own
environment variables win.
"""
import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect's temporary local server gets 20 s to start by default: too little on a busy machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

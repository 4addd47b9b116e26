"""``python -m flows.cli``: the same command as ``dprecon``."""

from flows.cli import app

app()

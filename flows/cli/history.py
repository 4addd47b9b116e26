from flows.cli import app  # noqa: F401  (placeholder until the history commands land)

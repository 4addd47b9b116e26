"""The families' evidence portal: sign in with a one-time code, upload evidence, send the return.

Families' input is kept outside the rebuilt warehouse, like officers' reviews:
a state folder beside the warehouse (``data/portal/`` for
``data/warehouse.duckdb``) holds the hashed access codes, sessions and sign-in
attempt counters (SQLite), drafts (JSON) and uploaded files (random names).
A sent return is written into ``INBOX/evidence/`` in the contract's layout,
where the intake (or the nightly run) picks it up.
"""

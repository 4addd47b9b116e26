"""Readers: bytes in, text-form frames and quarantine rows out.

Each reader is a pure function ``read_x(data: bytes, path: str) -> Parsed``.
Opening files is the caller's business (flows/), so every reader can be fed
mutated bytes by a property test and must never raise.
"""

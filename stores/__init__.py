"""State that lives beside the warehouse, outside the rebuilt file: officers'
decisions (append-only JSON lines), the portal's state folder and its access codes.

Both the batch (``flows/``) and the web apps (``web/``) use these; neither imports the other.
"""

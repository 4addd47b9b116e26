"""Web apps: the families' portal (web/portal) and, beside it, the officers' workspace.

The web reads the published warehouse and writes only through the stores in
``stores/``; the batch (``flows/``) never imports anything from here.
"""

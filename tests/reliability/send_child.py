"""A portal's send of one return, in a process of its own, for tests that kill it:
``python -m tests.reliability.send_child '<json>'`` (start it with close_child.start(module=...)).

Options (JSON): ``warehouse``, ``inbox``, ``state``, ``budget``, ``period``, ``today``; ``pause``,
``marker``, ``release`` as in child.py. Pauses: ``marked`` (the draft saved as sending, nothing written),
``before-rename`` (the folder written under its hidden name), ``after-rename`` (the return in the inbox,
the draft not yet saved as sent), ``sent`` (the draft saved as sent, its uploads not yet discarded).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date
from pathlib import Path

from tests.reliability.child import after_calls, parked_around

POINTS = ("marked", "before-rename", "after-rename", "sent")


def install_pauses(options: dict) -> None:
    from web.portal import drafts

    after_calls(options, drafts, "save", "marked", 1)
    after_calls(options, drafts, "save", "sent", 2)
    evidence = os.path.abspath(Path(options["inbox"]) / "evidence")
    os.rename = parked_around(options, os.rename, "rename",
                              lambda dst: os.path.dirname(os.path.abspath(dst)) == evidence)


def main(options: dict) -> int:
    from web.portal import drafts, sessions
    from web.portal.app import Portal, PortalConfig
    from web.portal.lookup import look_up
    from web.portal.routes import Ctx
    from web.portal.sending import send_return

    install_pauses(options)
    today = date.fromisoformat(options["today"])
    config = PortalConfig(warehouse=Path(options["warehouse"]), inbox=Path(options["inbox"]),
                          state_dir=Path(options["state"]), today=lambda: today)
    p = Portal(config)
    budget, period = options["budget"], date.fromisoformat(options["period"])
    letter = look_up(config.warehouse, budget, period, today, config.council).letter
    ctx = Ctx(sessions.Session(budget, period, "csrf"), drafts.load(config.state, budget, period), letter)
    print(send_return(p, ctx), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))

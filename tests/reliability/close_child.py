"""A period close in a process of its own, for tests that kill it or fill its disk:
``python -m tests.reliability.close_child '<json>'``.

Options (JSON): ``warehouse``, ``reports``, ``as_of``; ``pause``, ``marker``,
``release`` as in child.py; ``fsize`` (bytes): once the letters are being
written, no file may grow past it (a full disk). Pauses: ``staged`` (the letters written in their hidden
folder, no journal yet), ``journal`` (the journal written, nothing carried
out), ``codes`` (codes stored, letters not moved), ``letters`` (letters in
the post room, ledger not written), ``ledger`` (one ledger record appended).

Exit status: 0 completed (the result as JSON on stdout); 1 failed, with the
message on stdout and the traceback on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from datetime import date
from pathlib import Path

from tests.reliability.child import ROOT, after_calls, limit_file_size, park

POINTS = ("staged", "journal", "codes", "letters", "ledger")


def start(module: str = "tests.reliability.close_child", cwd: Path = ROOT, **options) -> subprocess.Popen:
    """Start a child (this module, or another with the same conventions) in ``cwd``; finish, wait_for and
    kill are child.py's."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-m", module, json.dumps({k: str(v) if isinstance(v, Path) else v
                                                   for k, v in options.items()})],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def install_pauses(options: dict) -> None:
    import flows.period_close as pc

    real_write = pc.write_atomic

    def write_atomic(path, data):
        park(options, "staged")
        real_write(path, data)
        park(options, "journal")

    pc.write_atomic = write_atomic
    after_calls(options, pc, "store_codes", "codes", 1)
    after_calls(options, pc, "move_letters", "letters", 1)
    after_calls(options, pc, "append_record", "ledger", 1)


def main(options: dict) -> int:
    from flows.period_close import issue_returns

    install_pauses(options)
    if options.get("fsize") is not None:
        import flows.period_close as pc

        real_stage = pc.stage_letters

        def stage_letters(*args, **kwargs):
            limit_file_size(int(options["fsize"]))
            return real_stage(*args, **kwargs)

        pc.stage_letters = stage_letters
    try:
        result = issue_returns(Path(options["warehouse"]), Path(options["reports"]),
                               date.fromisoformat(options["as_of"]), "Demo Council")
    except Exception as e:  # noqa: BLE001 - reported the way ``dprecon close-periods`` reports it
        traceback.print_exc()
        print(e, flush=True)
        return 1
    print(json.dumps(result, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))

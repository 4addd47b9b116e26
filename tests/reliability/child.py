"""A nightly run in a process of its own, for tests that kill it, starve it of
disk or race it against another: ``python -m tests.reliability.child '<json>'``.

Options (JSON): ``inbox``, ``warehouse``, ``reports``, ``as_of``;
``validate``: ``"gx"`` (Great Expectations) or ``"none"`` (accept every row:
GX takes ten seconds to import, which a run that is about to be killed need
not pay; typing still sets bad values aside); ``pause``: where to stop and
wait (below); ``marker``: a file written on arrival there; ``release``: a
file whose appearance lets the run go on; ``fsize`` (bytes) with
``fsize_from`` ``"start"`` or ``"report"``: from then on no file may grow
past that size, as on a full disk (writes fail with EFBIG).

Pauses: the job's own hook points between stages (``ingest``, ``reconcile``,
``publish``: ``DPRECON_PAUSE_AT``), and points inside a stage, reached by
wrapping what the stage calls: ``mid-ingest`` (one table loaded into the
working copy, not the next), ``mid-reconcile`` (some core tables rebuilt),
``mid-report`` (the exception report written, the letters not),
``before-replace`` (the new warehouse checkpointed and closed, not yet
swapped in) and ``after-replace`` (swapped in, directory not yet synced).

Exit status: 0 completed; 1 failed, with the operator's message on stdout
(as ``dprecon run`` prints it) and the traceback on stderr; 3 refused because another run holds the
warehouse.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
import traceback
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOUNDARIES = ("ingest", "reconcile", "publish")
INSIDE = ("mid-ingest", "mid-reconcile", "mid-report", "before-replace", "after-replace")


# ---- the test's side -----------------------------------------------------------------


def earlier_night(base: Path) -> Path:
    """A warehouse and reports published by an earlier night (the sample inbox,
    through Great Expectations), and a new card statement in the inbox since."""
    from tests.conftest import SAMPLE_INBOX
    from tests.flows.helpers import copy_inbox, run

    inbox = copy_inbox(SAMPLE_INBOX, base / "inbox")
    later = (inbox / "statements/cards-2025-04-copy.csv").read_text()
    (inbox / "statements/cards-2025-04-copy.csv").unlink()
    run(inbox, base / "w.duckdb")
    (inbox / "statements/cards-2025-05.csv").write_text(later.replace("T000", "T100"))
    return base


def start(**options) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("DPRECON_PAUSE_AT", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.child", json.dumps({k: str(v) if isinstance(v, Path) else v
                                                                    for k, v in options.items()})],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def finish(proc: subprocess.Popen, timeout: float = 180) -> tuple[int, str, str]:
    """Exit status, what the run said (stdout), and its traceback if any (stderr)."""
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def wait_for(marker: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended before its pause point: {finish(proc)}")
        assert time.monotonic() < deadline, "the run never reached its pause point"
        time.sleep(0.05)


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


# ---- the run's side ------------------------------------------------------------------


def park(options: dict, where: str) -> None:
    if options.get("pause") != where:
        return
    Path(options["marker"]).write_text(where)
    release = Path(options["release"]) if options.get("release") else None
    while release is None or not release.exists():
        time.sleep(0.05)


def after_calls(options: dict, module, name: str, where: str, calls: int) -> None:
    """Park once the wrapped function has returned ``calls`` times."""
    real = getattr(module, name)
    count = [0]

    def wrapped(*args, **kwargs):
        result = real(*args, **kwargs)
        count[0] += 1
        if count[0] == calls:
            park(options, where)
        return result

    setattr(module, name, wrapped)


def install_pauses(options: dict) -> None:
    import flows.ingest
    import flows.reconcile
    import reports.returns.render

    pause = options.get("pause")
    if pause in BOUNDARIES:
        os.environ["DPRECON_PAUSE_AT"] = pause
        os.environ["DPRECON_PAUSE_MARKER"] = options["marker"]
    after_calls(options, flows.ingest, "_load_table", "mid-ingest", 1)
    after_calls(options, flows.reconcile, "replace_table", "mid-reconcile", 4)
    real_returns = reports.returns.render.render_returns

    def returns(*args, **kwargs):
        park(options, "mid-report")
        return real_returns(*args, **kwargs)

    reports.returns.render.render_returns = returns
    warehouse = os.path.abspath(options["warehouse"])
    os.replace = parked_around(options, os.replace, "replace", lambda dst: os.path.abspath(dst) == warehouse)


def parked_around(options: dict, move, name: str, watched):
    """``move`` (``os.replace``, ``os.rename``) parking the child at ``before-<name>`` and
    ``after-<name>`` when it moves a file to a destination ``watched(dst)`` is true of."""
    def wrapped(src, dst, **kwargs):
        hit = watched(dst)
        if hit:
            park(options, f"before-{name}")
        move(src, dst, **kwargs)
        if hit:
            park(options, f"after-{name}")

    return wrapped


def limit_file_size(size: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, resource.RLIM_INFINITY))


def main(options: dict) -> int:
    import flows.job
    from flows.warehouse import WarehouseBusy, failure_message

    install_pauses(options)
    if options.get("validate", "none") == "gx":
        from flows.validation import validate_batch as validate
    else:
        def validate(table, frame):
            return {}
    if options.get("fsize") is not None:
        if options.get("fsize_from", "start") == "start":
            limit_file_size(options["fsize"])
        else:
            real_stage = flows.job.report_stage

            def report_stage(*args, **kwargs):
                limit_file_size(options["fsize"])
                return real_stage(*args, **kwargs)

            flows.job.report_stage = report_stage
    warehouse = Path(options["warehouse"])
    try:
        flows.job.run_job(Path(options["inbox"]), warehouse, Path(options["reports"]),
                          date.fromisoformat(options.get("as_of", "2025-06-30")),
                          validate=validate, workers=1)
    except WarehouseBusy as e:
        print(e, flush=True)
        return 3
    except Exception as e:  # noqa: BLE001 - reported the way ``dprecon run`` reports it
        traceback.print_exc()
        print(failure_message(e, warehouse), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))

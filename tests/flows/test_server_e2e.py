"""End to end the way a council runs it: a real Prefect server on loopback, the
deployments from prefect.yaml, two process workers, and a multi-council run of
the nightly deployment on simulator data.

Slow (about a minute and a half); CI runs it, because nothing else proves that
prefect.yaml deploys and that workers can pick the runs up.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.slow
PREFECT = [sys.executable, "-m", "prefect"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, log: Path, seconds: int = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the Prefect server exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as r:  # noqa: S310 - loopback
                if r.status == 200:
                    return
        except OSError:
            time.sleep(1)
    pytest.fail(f"the Prefect server did not become healthy: {log.read_text()[-3000:]}")


@pytest.fixture
def server(tmp_path):
    home = tmp_path / "prefect-home"
    home.mkdir()
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_API_URL": api,
           "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_UI_ENABLED": "false",
           # Deployments keep their schedules, but no scheduled run may fire during the test.
           "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
           "PREFECT_WORKER_QUERY_SECONDS": "2", "PREFECT_WORKER_PREFETCH_SECONDS": "2",
           "PREFECT_LOGGING_LEVEL": "INFO", "GX_ANALYTICS_ENABLED": "false", "DPRECON_WORKERS": "1"}
    env.pop("PREFECT_PROFILES_PATH", None)
    # an in-process `dprecon` call earlier in the session quiets Prefect's console for itself
    # (flows/cli/errors.py); the workers here must log which runs they submit, so they start without that
    for quiet in ("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "PREFECT_LOGGING_HANDLERS_CONSOLE_FLOW_RUNS_LEVEL",
                  "PREFECT_LOGGING_HANDLERS_CONSOLE_TASK_RUNS_LEVEL"):
        env.pop(quiet, None)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
    workers: list[subprocess.Popen] = []
    try:
        wait_healthy(api, proc, log)
        yield {"env": env, "api": api, "workers": workers, "tmp": tmp_path}
    finally:
        for p in [*workers, proc]:
            if p.poll() is None:
                os.killpg(p.pid, 15)
        for p in [*workers, proc]:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, 9)


def prefect(server, *args: str, timeout: int = 300) -> str:
    done = subprocess.run([*PREFECT, *args], env=server["env"], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
    return done.stdout + done.stderr


def start_worker(server, name: str) -> Path:
    log = server["tmp"] / f"{name}.log"
    with log.open("wb") as out:
        server["workers"].append(subprocess.Popen(
            [*PREFECT, "worker", "start", "--pool", "dprecon", "--name", name, "--limit", "2"],
            env=server["env"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
    return log


def test_deploy_all_and_two_workers_share_a_multi_council_night(server, tmp_path):
    from flows.inbox import scan
    from flows.simulate import write_simulation
    from pipelines.simulate import SimParams

    as_of = None
    for cid, seed, name in (("northshire", 3, "Northshire County Council"), ("eastmoor", 4, "Eastmoor Borough Council")):
        inbox = tmp_path / "councils" / cid / "inbox"
        summary = write_simulation(inbox, SimParams(accounts=6, months=6, seed=seed))
        as_of = str(summary["as_of"])
        # each council's own register/council.yaml names it (the councils file's name is only a fallback)
        (inbox / "register" / "council.yaml").write_text(f"name: {name}\n", encoding="utf-8")
    config = tmp_path / "councils.yaml"
    config.write_text("councils:\n  - id: northshire\n    name: Northshire County Council\n"
                      "    inbox: councils/northshire/inbox\n    warehouse: councils/northshire/warehouse.duckdb\n"
                      "    reports: councils/northshire/reports\n"
                      "  - id: eastmoor\n    name: Eastmoor Borough Council\n"
                      "    inbox: councils/eastmoor/inbox\n    warehouse: councils/eastmoor/warehouse.duckdb\n"
                      "    reports: councils/eastmoor/reports\n")

    prefect(server, "work-pool", "create", "dprecon", "--type", "process")
    out = prefect(server, "--no-prompt", "deploy", "--all")
    for name in ("nightly/nightly", "evidence_intake/evidence-intake", "period_close/period-close", "councils/councils"):
        assert name in out, out
    listed = prefect(server, "deployment", "inspect", "nightly/nightly")
    assert "0 2 * * *" in listed and "Europe/London" in listed

    logs = [start_worker(server, "worker-a"), start_worker(server, "worker-b")]
    try:
        prefect(server, "deployment", "run", "councils/councils", "--param", f"config={config}",
                "--param", f"as_of={as_of}", "--watch", "--watch-timeout", "600", timeout=700)
    except AssertionError as e:
        raise AssertionError(f"{e}\n" + "\n".join(f"--- {log.name}\n{log.read_text()[-6000:]}" for log in logs)) from None

    # each council has its own warehouse, with its own run and its own data
    for cid, name in (("northshire", "Northshire County Council"), ("eastmoor", "Eastmoor Borough Council")):
        home = tmp_path / "councils" / cid
        with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as con:
            assert con.execute("SELECT count(*) FROM audit.runs WHERE status = 'completed'").fetchall() == [(1,)]
            seen = con.execute("SELECT count(DISTINCT path) FROM audit.ingest_log").fetchall()[0][0]
        assert seen == len(scan(home / "inbox"))
        assert name in (home / "reports" / as_of / "exceptions.html").read_text()
    # both workers took runs (parent + two councils, at most two at a time each)
    # (a worker's log reaches its file when the worker flushes it: wait for that, not for a length of time)
    deadline = time.monotonic() + 60
    while True:
        submitted = {log.stem: re.findall(r"submitting flow run '([0-9a-f-]{36})'", log.read_text()) for log in logs}
        if len({run for runs in submitted.values() for run in runs}) >= 3 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert all(submitted.values()), submitted
    assert len({run for runs in submitted.values() for run in runs}) == 3
    # the nightly runs published their artifacts
    summary = prefect(server, "artifact", "inspect", "nightly-summary")
    assert "Money at stake" in summary and "quarantined" in summary
    assert "exception_id" in prefect(server, "artifact", "inspect", "nightly-new-exceptions")

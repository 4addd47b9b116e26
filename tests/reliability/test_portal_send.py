"""A portal killed while sending a return: sending again never writes a second return (issue 16, finding 9).

Before: a kill -9 just after the return was renamed into the inbox left the draft a draft; sending again
wrote a second return.
"""

from __future__ import annotations

import pytest

from tests.reliability import child
from tests.reliability.close_child import start
from tests.reliability.send_child import POINTS
from tests.web.portal.conftest import council_returns, portal  # noqa: F401 - fixtures
from tests.web.portal.helpers import PNG, answer_outcomes, explain, send, upload
from web.portal import drafts


def returns_in(inbox) -> list:
    evidence = inbox / "evidence"
    return sorted(p.name for p in evidence.iterdir() if not p.name.startswith(".")) if evidence.exists() else []


@pytest.mark.parametrize("point", POINTS)
def test_kill_9_during_a_send_then_sending_again_writes_one_return(portal, sim_council, tmp_path, point):  # noqa: F811
    a = portal.a
    family = portal.signed_in(a)
    assert upload(family, a.refs[0], "receipt.png", PNG).status_code == 303
    assert explain(family, a.refs[1], "Paid the window cleaner in cash").status_code == 303
    answer_outcomes(family)
    marker, release = tmp_path / "paused", tmp_path / "release"
    proc = start("tests.reliability.send_child", warehouse=sim_council["warehouse"], inbox=portal.config.inbox,
                 state=portal.config.state, budget=a.budget_id, period=a.period_start.isoformat(),
                 today=sim_council["as_of"].isoformat(), pause=point, marker=marker, release=release)
    child.wait_for(marker, proc)
    child.kill(proc)
    reached = returns_in(portal.config.inbox)

    page = family.get("/return/sent" if reached else "/return")  # what the family sees next
    assert page.status_code in (200, 303)
    if not reached:
        assert send(family).status_code == 303
    else:
        assert family.get("/return/check").status_code == 303  # already sent: nothing to send again
    assert family.get("/return/sent").status_code == 200

    sent = returns_in(portal.config.inbox)
    assert len(sent) == 1, sent
    assert reached in ([], sent)
    folder = portal.config.inbox / "evidence" / sent[0]
    assert sorted(p.name for p in folder.iterdir()) == sorted(["manifest.csv", f"{a.refs[0]}-1.png"])
    assert not [p for p in (portal.config.inbox / "evidence").iterdir() if p.name.startswith(".")]
    d = drafts.load(portal.config.state, a.budget_id, a.period_start)
    assert d.status == "sent" and d.folder == sent[0]
    assert not [p for p in (portal.config.state / "uploads").iterdir() if not p.name.startswith(".")]

"""A family's draft return: what they have uploaded and written so far, saved on every step.

One JSON file per return in the state folder's ``drafts/``, named by a hash
of the budget reference and period (so no typed text ever becomes a path),
changed under a lock and replaced atomically. Example, after two steps::

    {"budget_id": "DP000011-1", "period_start": "2026-01-01", "status": "draft",
     "items": {"E1A2B3C4": {"files": [{"id": "9f0c…", "kind": "receipt", "name": "IMG_0042.jpg",
                                       "ext": "jpg", "size": 81234, "added_at": "…"}],
                             "explanation": ""}},
     "outcomes": {"daily_living": "better"}, "anything_else": "", ...}

Once sent, ``status`` is ``sent`` and the draft is the family's receipt: when,
which folder, and what it held. A family may then add evidence it did not have
(``start_more``): what was sent moves to ``earlier`` and the draft opens again
for the payments still missing; sending it writes a second folder, which the
intake adds to the first (the evidence of every folder for one budget and
period counts). Example: 2 of 13 receipts sent on 3 February, 9 more on
10 February: the return then evidences 11 of 13.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from stores.state import write_atomic

MAX_FILES_PER_PAYMENT = 10
MAX_FILES = 60
MAX_TEXT = 2000
ANSWERS = {"better": "Got better", "same": "Stayed the same", "worse": "Got worse"}


@dataclass
class Upload:
    id: str
    kind: str  # receipt, invoice, timesheet, payslip
    name: str  # as the family's device named it: shown to them, never used as a path
    ext: str
    size: int
    added_at: str


@dataclass
class Item:
    files: list[Upload] = field(default_factory=list)
    explanation: str = ""

    @property
    def done(self) -> bool:
        return bool(self.files or self.explanation)


@dataclass
class Draft:
    budget_id: str
    period_start: str
    status: str = "draft"  # draft, sending, sent
    items: dict[str, Item] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    anything_else: str = ""
    updated_at: str = ""
    sent_at: str = ""
    folder: str = ""
    payments: dict[str, list[str]] = field(default_factory=dict)  # at sending: ref -> [date, paid to, amount]
    earlier: list[dict] = field(default_factory=list)  # what each earlier sending held, oldest first
    follow_up: bool = False  # adding evidence to a return already sent: the outcomes were answered then

    @property
    def sent(self) -> bool:
        return self.status == "sent"

    def sendings(self) -> list[dict]:
        """Every sending of this return, oldest first: ``sent_at``, ``folder``, ``items``, ``payments``."""
        out = [{**e, "items": {r: Item([Upload(**u) for u in i.get("files", [])], i.get("explanation", ""))
                               for r, i in e.get("items", {}).items()}} for e in self.earlier]
        if self.sent:
            out.append({"sent_at": self.sent_at, "folder": self.folder, "items": self.items,
                        "payments": self.payments, "outcomes": self.outcomes,
                        "anything_else": self.anything_else})
        return out

    def refs_sent(self) -> set[str]:
        """The payments some sending gave evidence or an explanation for."""
        return {ref for s in self.sendings() for ref, item in s["items"].items() if item.done}

    def still_missing(self, payments: list) -> list:
        """The return's payments needing evidence that the council does not have yet (``evidenced``)
        and that no sending has covered: what the receipt says is still missing."""
        sent = self.refs_sent()
        return [p for p in payments if not p.evidenced and p.reference not in sent]

    def start_more(self) -> None:
        """Open a sent return again for more evidence; what was sent is kept in ``earlier``."""
        if not self.sent:
            return
        self.earlier.append({"sent_at": self.sent_at, "folder": self.folder,
                             "items": {r: asdict(i) for r, i in self.items.items()}, "payments": self.payments,
                             "outcomes": self.outcomes, "anything_else": self.anything_else})
        self.status, self.sent_at, self.folder, self.follow_up = "draft", "", "", True
        self.items, self.payments, self.outcomes, self.anything_else = {}, {}, {}, ""

    def item(self, ref: str) -> Item:
        return self.items.setdefault(ref, Item())

    @property
    def file_count(self) -> int:
        return sum(len(i.files) for i in self.items.values())

    @classmethod
    def from_json(cls, data: dict) -> Draft:
        items = {ref: Item([Upload(**u) for u in it.get("files", [])], it.get("explanation", ""))
                 for ref, it in data.get("items", {}).items()}
        return cls(**{**data, "items": items})


def key(budget_id: str, period_start: date) -> str:
    return hashlib.sha256(f"{budget_id}|{period_start.isoformat()}".encode()).hexdigest()[:32]


def path(state_dir: Path, budget_id: str, period_start: date) -> Path:
    return state_dir / "drafts" / f"{key(budget_id, period_start)}.json"


def load(state_dir: Path, budget_id: str, period_start: date) -> Draft:
    p = path(state_dir, budget_id, period_start)
    if not p.exists():
        return Draft(budget_id, period_start.isoformat())
    return Draft.from_json(json.loads(p.read_text(encoding="utf-8")))


@contextmanager
def edit(state_dir: Path, budget_id: str, period_start: date, now: datetime) -> Iterator[Draft]:
    """Change a draft under its lock; it is saved (atomically) only if the block finishes."""
    p = path(state_dir, budget_id, period_start)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.with_suffix(".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        draft = load(state_dir, budget_id, period_start)
        yield draft
        draft.updated_at = now.isoformat()
        write_atomic(p, json.dumps(asdict(draft), indent=1, ensure_ascii=False).encode("utf-8"))


def clean_text(text: object) -> str:
    """Typed text as kept: no control characters but newlines, line ends made plain, trimmed."""
    s = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in s if ch == "\n" or ch == "\t" or ord(ch) >= 32 and ord(ch) != 127).strip()

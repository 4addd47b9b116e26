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
which folder, and what it held.
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

    @property
    def sent(self) -> bool:
        return self.status == "sent"

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
        save(state_dir, draft, now)


def save(state_dir: Path, draft: Draft, now: datetime) -> None:
    """Replace the draft on disk (atomically). Inside ``edit`` only: the caller holds its lock."""
    draft.updated_at = now.isoformat()
    p = path(state_dir, draft.budget_id, date.fromisoformat(draft.period_start))
    write_atomic(p, json.dumps(asdict(draft), indent=1, ensure_ascii=False).encode("utf-8"))


def clean_text(text: object) -> str:
    """Typed text as kept: no control characters but newlines, line ends made plain, trimmed."""
    s = str(text or "").replace("\r\n", "\n").replace("\r", "\n")
    return "".join(ch for ch in s if ch == "\n" or ch == "\t" or ord(ch) >= 32 and ord(ch) != 127).strip()

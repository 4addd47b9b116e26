"""Several councils on one installation: a config file listing them, kept strictly apart.

``councils.yaml`` (paths relative to the file's folder)::

    councils:
      - id: northshire
        name: Northshire County Council
      - id: eastmoor
        name: Eastmoor Borough Council
        inbox: /srv/feeds/eastmoor          # optional; defaults below

Each council gets ``data/councils/<id>/inbox``, ``warehouse.duckdb`` and
``reports`` unless it names its own. Loading refuses a file in which two
councils would share an inbox, a warehouse or a reports folder, or one's
folder sits inside another's: one council's bank data must never reach
another's warehouse.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class Council(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    name: str
    inbox: Path | None = None
    warehouse: Path | None = None
    reports: Path | None = None

    @field_validator("id")
    @classmethod
    def _slug(cls, v: str) -> str:
        if not ID.match(v):
            raise ValueError(f"council id {v!r} must be lower-case letters, digits and hyphens, e.g. 'northshire'")
        return v

    def paths(self, base: Path) -> dict[str, Path]:
        home = base / "data" / "councils" / self.id
        given = {"inbox": self.inbox, "warehouse": self.warehouse, "reports": self.reports}
        default = {"inbox": home / "inbox", "warehouse": home / "warehouse.duckdb", "reports": home / "reports"}
        return {k: (base / v if v is not None and not v.is_absolute() else v or default[k]).resolve()
                for k, v in given.items()}


class CouncilConfigError(ValueError):
    """The councils file cannot be used as it stands."""


def _inside(a: Path, b: Path) -> bool:
    return a == b or b in a.parents


def load_councils(path: Path) -> list[tuple[Council, dict[str, Path]]]:
    """The councils with their resolved paths, in file order; raises CouncilConfigError with the reason."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        councils = [Council(**c) for c in data.get("councils") or []]
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"]) or "an entry"
        raise CouncilConfigError(f"{path} could not be read: {where}: {first['msg']}") from e
    except (OSError, yaml.YAMLError, TypeError, AttributeError, ValueError) as e:
        raise CouncilConfigError(f"{path} could not be read: {str(e).splitlines()[0]}") from e
    if not councils:
        raise CouncilConfigError(f"{path} lists no councils")
    out = [(c, c.paths(path.parent)) for c in councils]
    seen: dict[str, str] = {}
    for c, _ in out:
        if c.id in seen:
            raise CouncilConfigError(f"council id {c.id!r} appears twice in {path}")
        seen[c.id] = c.name
    for i, (a, pa) in enumerate(out):
        for b, pb in out[i + 1:]:
            for ka, va in pa.items():
                for kb, vb in pb.items():
                    if _inside(va, vb) or _inside(vb, va):
                        raise CouncilConfigError(
                            f"{a.id}'s {ka} ({va}) and {b.id}'s {kb} ({vb}) overlap; "
                            "each council needs its own inbox, warehouse and reports folder")
    homes: dict[Path, str] = {}
    for c, p in out:  # reviews and portal state live beside the warehouse: one folder per council
        if p["warehouse"].parent in homes:
            raise CouncilConfigError(f"{c.id} and {homes[p['warehouse'].parent]} keep their warehouses in the same "
                                     f"folder ({p['warehouse'].parent}); give each council its own folder")
        homes[p["warehouse"].parent] = c.id
    return out

"""Who the council is and how families and providers reach it (contract §1,
``register/council.yaml``).

Every key is optional; letters, portal pages, notices and reports print every
one that is set. Beyond the contract: ``bank`` (where a family pays money
back, printed on recovery notices) and ``reference_hint`` (what to quote).

Example::

    name: Northshire County Council
    team: Direct Payments Finance Team
    address: [County Hall, Market Street, Northshire, NS1 1AA]
    phone: 01234 567890
    email: directpayments@northshire.gov.uk
    portal_url: https://evidence.northshire.gov.uk
    bank: {account_name: Northshire CC Income, sort_code: 20-00-00, account_number: "12345678"}
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_NAME = "Your council"


class CouncilBank(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    account_name: str
    sort_code: str
    account_number: str

    @field_validator("sort_code", mode="before")
    @classmethod
    def _sort_code(cls, v: object) -> str:
        digits = re.sub(r"[\s-]", "", str(v))
        if not re.fullmatch(r"\d{6}", digits):
            raise ValueError(f"a sort code is six digits, e.g. 20-00-00, not {v!r}")
        return f"{digits[:2]}-{digits[2:4]}-{digits[4:]}"

    @field_validator("account_number", mode="before")
    @classmethod
    def _account_number(cls, v: object) -> str:
        text = str(v).strip()
        if not re.fullmatch(r"\d{8}", text):
            raise ValueError(f"an account number is eight digits, not {v!r}")
        return text


class Council(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = DEFAULT_NAME
    team: str | None = None
    address: list[str] = Field(default_factory=list)
    phone: str | None = None
    email: str | None = None
    portal_url: str | None = None
    bank: CouncilBank | None = None

    @field_validator("address", mode="before")
    @classmethod
    def _lines(cls, v: object) -> object:
        if isinstance(v, str):  # one line, or several written with newlines or commas
            return [p.strip() for p in re.split(r"[\n,]", v) if p.strip()]
        return v

    @property
    def contact_lines(self) -> list[str]:
        """The ways to reach the council, in the order letters print them."""
        out = [*self.address]
        if self.phone:
            out.append(f"Phone: {self.phone}")
        if self.email:
            out.append(f"Email: {self.email}")
        if self.portal_url:
            out.append(f"Online: {self.portal_url}")
        return out


def council_from_mapping(data: dict | None) -> Council:
    return Council.model_validate(data or {})

"""The bank layout profile language as a pydantic model: what a
``schemas/profiles/*.toml`` or ``register/profiles/*.toml`` file may say, and
the checks that make an unusable one an error naming its key (see
:mod:`schemas.profiles` for the language, with worked examples).

For example ``[account] keep = "numbers"`` fails as
``register/profiles/ours.toml: account.keep = 'numbers': Input should be
'text', 'digits', 'digits_and_mask' or 'sort_code'``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

Text = Annotated[str, Field(min_length=1, pattern=r"\S")]



class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ColumnsModel(_Strict):
    date: Text
    amount: Text | None = None
    paid_out: Text | None = None
    paid_in: Text | None = None
    payee: Text | None = None
    memo: Text | None = None
    trntype: Text | None = None
    balance: Text | None = None
    transaction_id: Text | None = None
    mcc: Text | None = None
    currency: Text | None = None
    direction: Text | None = None
    status: Text | None = None

    @model_validator(mode="after")
    def _one_way_of_writing_money(self) -> ColumnsModel:
        pair = self.paid_out is not None and self.paid_in is not None
        half = (self.paid_out is None) != (self.paid_in is None)
        if half or (self.amount is None) == (not pair):
            raise ValueError("needs either amount (one column) or both paid_out and paid_in")
        if self.direction is not None and self.amount is None:
            raise ValueError("direction goes with one amount column, not paid_out/paid_in")
        return self


class AccountModel(_Strict):
    columns: tuple[Text, ...] = ()
    preamble_labels: tuple[Text, ...] = ()
    file_name: Text | None = None
    folder: StrictBool = False
    value: Text | None = None
    pattern: str | None = None
    keep: Literal["text", "digits", "digits_and_mask", "sort_code"] = "text"
    join: str = "-"

    @field_validator("pattern", "file_name")
    @classmethod
    def _regex(cls, v: str | None) -> str | None:
        if v is None:
            return v
        try:
            groups = re.compile(v).groups
        except re.error as exc:
            raise ValueError(f"not a valid regular expression ({exc})") from None
        if groups > 1:
            raise ValueError("a regular expression with at most one group")
        return v

    @model_validator(mode="after")
    def _one_source(self) -> AccountModel:
        sources = [
            bool(self.columns),
            bool(self.preamble_labels),
            self.file_name is not None,
            self.folder,
            self.value is not None,
        ]
        if sum(sources) != 1:
            raise ValueError(
                "needs exactly one of columns, preamble_labels, file_name, folder = true or value"
            )
        return self


class AmountModel(_Strict):
    sign: Literal["signed", "out_positive"] = "signed"
    in_markers: tuple[Text, ...] = ("CR", "C", "CREDIT", "IN")
    out_markers: tuple[Text, ...] = ("DR", "D", "DEBIT", "OUT")


class SkipModel(_Strict):
    status_values: tuple[Text, ...]


class TrailerModel(_Strict):
    labels: tuple[Text, ...] = ()


class ProfileModel(_Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$")]
    bank: str = ""
    description: str = ""
    header: tuple[Text, ...] = Field(min_length=2)
    header_row: StrictBool = True
    file_pattern: str | None = None  # only files whose name matches (case-insensitive)
    date_formats: tuple[Text, ...] = ("%d/%m/%Y",)
    newest_first: StrictBool = False
    columns: ColumnsModel
    account: AccountModel
    amount: AmountModel = AmountModel()
    skip: SkipModel | None = None
    trailer: TrailerModel = TrailerModel()

    @field_validator("file_pattern")
    @classmethod
    def _file_regex(cls, v: str | None) -> str | None:
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"not a valid regular expression ({exc})") from None
        return v

    @field_validator("date_formats")
    @classmethod
    def _dates_read_back(cls, formats: tuple[str, ...]) -> tuple[str, ...]:
        sample = datetime(2025, 6, 13)
        for fmt in formats:
            try:
                ok = "%" in fmt and datetime.strptime(sample.strftime(fmt), fmt) == sample
            except ValueError:
                ok = False
            if not ok:
                raise ValueError(f"date format {fmt!r} cannot read a date such as 13 June 2025 back")
        return formats

    @model_validator(mode="after")
    def _columns_are_headings(self) -> ProfileModel:
        keys = {_key(h) for h in self.header}
        named = [(f"columns.{r}", h) for r, h in self.columns.model_dump().items() if h]
        named += [("account.columns", h) for h in self.account.columns]
        for where, heading in named:
            if _key(heading) not in keys:
                raise ValueError(f"{where} = {heading!r} is not one of the header columns")
        if self.columns.status is not None and self.skip is None:
            raise ValueError("columns.status needs [skip] status_values (which rows to skip)")
        if not self.header_row and self.account.preamble_labels:
            raise ValueError("a file with no header row has no lines above the headings")
        return self


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")



"""Statement files as banks and card providers really write them.

One short line of each:

* prepaid feed (generic CSV, UTF-8), one file a month for every card::

    PC0012345678,2025-06-13,ODEON CINEMAS HALIFAX,-12.40,310.22,00004100123,7832

* generic bank CSV (the contract's layout, no MCC)::

    30963412345678,2025-06-13,J SMITH WAGES,-135.00,1204.18,BK202506130001,

* Nationwide-style CSV, Windows-1252, preamble naming the account::

    "Account Name:","FlexDirect ****12345"
    "13 Jun 2025","Payment to","J SMITH WAGES","£135.00","","£1,204.18"

* OFX 1.x SGML declaring CHARSET:1252 (a £ or an é is a CP1252 byte)::

    <STMTTRN><TRNTYPE>PAYMENT<DTPOSTED>20250613<TRNAMT>-135.00<FITID>202506130001<NAME>J SMITH WAGES</STMTTRN>

* OFX 2.x XML, UTF-8, local midnight with its zone: ``20250613000000[+1:BST]``
  is 13 June (a naive UTC conversion would make it 12 June).
"""

from __future__ import annotations

from pipelines.simulate.common import gbp, is_bst_evening, is_bst_midnight, iso, pounds, ymd
from pipelines.simulate.records import Account, StatementFile, Txn

GENERIC_HEADER = "account_id,date,description,amount,balance,transaction_id,mcc\n"
_MON = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def description(t: Txn) -> str:
    return f"{t.payee} {t.memo}" if t.memo else t.payee


def generic_rows(account_id: str, f: StatementFile, with_mcc: bool) -> str:
    out = []
    for t, bal in zip(f.lines, f.balances, strict=True):
        out.append(
            f"{account_id},{iso(t.day)},{description(t)},{pounds(t.amount)},"
            f"{pounds(bal) if bal is not None else ''},{t.tid},{t.mcc if with_mcc else ''}\n"
        )
    return "".join(out)


def render_generic(acct: Account, f: StatementFile) -> bytes:
    text = GENERIC_HEADER + generic_rows(acct.account_id, f, with_mcc=False)
    if f.corrupt == "garbled":
        rows = text.split("\n")
        k = len(rows) // 2
        rows[k] = rows[k][: rows[k].index(",", rows[k].index(",") + 1) + 6]  # the row breaks off
    else:
        rows = None
    return ("\n".join(rows) if rows else text).encode("utf-8")


def _nw_date(day: int) -> str:
    x = iso(day)
    return f"{int(x[8:10]):02d} {_MON[int(x[5:7]) - 1]} {x[:4]}"


def _nw_type(t: Txn) -> str:
    if t.amount > 0:
        return {"council": "Bank credit", "contribution": "Transfer from", "refund": "Visa credit"}.get(
            t.kind, "Bank credit")
    return {"cash": "Cash withdrawal", "card": "Visa purchase", "hmrc": "Payment to"}.get(t.kind, "Payment to")


def render_nationwide(acct: Account, f: StatementFile) -> bytes:
    q = '","'
    lines = [
        f'"Account Name:","FlexDirect {acct.account_id}"',
        f'"Account Balance:","{gbp(f.closing)}"',
        f'"Available Balance: ","{gbp(f.closing)}"',
        "",
        '"Date","Transaction type","Description","Paid out","Paid in","Balance"',
    ]
    for t, bal in zip(f.lines, f.balances, strict=True):
        out = gbp(-t.amount) if t.amount < 0 else ""
        inn = gbp(t.amount) if t.amount > 0 else ""
        lines.append(f'"{_nw_date(t.day)}{q}{_nw_type(t)}{q}{description(t)}{q}{out}{q}{inn}{q}{gbp(bal)}"')
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _sgml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ofx1_date(day: int) -> str:
    return ymd(day)


def _ofx2_date(day: int, evening: bool = False) -> str:
    if evening:
        return f"{ymd(day)}235959[{'+1:BST' if is_bst_evening(day) else '+0:GMT'}]"
    return f"{ymd(day)}000000[{'+1:BST' if is_bst_midnight(day) else '+0:GMT'}]"


def render_ofx(acct: Account, f: StatementFile) -> bytes:
    v2 = f.fmt == "ofx2"
    date = _ofx2_date if v2 else _ofx1_date
    trns = []
    for t in f.lines:
        memo = f"<MEMO>{_sgml(t.memo)}</MEMO>" if v2 and t.memo else (f"<MEMO>{_sgml(t.memo)}" if t.memo else "")
        if v2:
            trns.append(
                f"<STMTTRN><TRNTYPE>{t.trntype}</TRNTYPE><DTPOSTED>{date(t.day)}</DTPOSTED>"
                f"<TRNAMT>{pounds(t.amount)}</TRNAMT><FITID>{t.tid}</FITID>"
                f"<NAME>{_sgml(t.payee)}</NAME>{memo}</STMTTRN>"
            )
        else:
            trns.append(
                f"<STMTTRN><TRNTYPE>{t.trntype}<DTPOSTED>{date(t.day)}<TRNAMT>{pounds(t.amount)}"
                f"<FITID>{t.tid}<NAME>{_sgml(t.payee)}{memo}</STMTTRN>"
            )
    server = f.end + 1
    if v2:
        head = (
            '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\r\n'
            '<?OFX OFXHEADER="200" VERSION="220" SECURITY="NONE" OLDFILEUID="NONE" NEWFILEUID="NONE"?>\r\n'
            "<OFX>\r\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY></STATUS>"
            f"<DTSERVER>{date(server)}</DTSERVER><LANGUAGE>ENG</LANGUAGE></SONRS></SIGNONMSGSRSV1>\r\n"
            "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1</TRNUID><STATUS><CODE>0</CODE><SEVERITY>INFO</SEVERITY>"
            "</STATUS>\r\n<STMTRS><CURDEF>GBP</CURDEF><BANKACCTFROM>"
            f"<BANKID>{acct.bank_code}</BANKID><ACCTID>{acct.account_id}</ACCTID><ACCTTYPE>CHECKING</ACCTTYPE>"
            f"</BANKACCTFROM>\r\n<BANKTRANLIST><DTSTART>{date(f.start)}</DTSTART>"
            f"<DTEND>{_ofx2_date(f.end, evening=True)}</DTEND>\r\n"
        )
        tail = (
            f"</BANKTRANLIST>\r\n<LEDGERBAL><BALAMT>{pounds(f.closing)}</BALAMT>"
            f"<DTASOF>{_ofx2_date(f.end, evening=True)}</DTASOF></LEDGERBAL>\r\n"
            "</STMTRS></STMTTRNRS></BANKMSGSRSV1>\r\n</OFX>\r\n"
        )
        encoding = "utf-8"
    else:
        head = (
            "OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\n"
            "CHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"
            "<OFX>\r\n<SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>"
            f"<DTSERVER>{ymd(server)}083000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\r\n"
            "<BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS>\r\n"
            f"<STMTRS><CURDEF>GBP<BANKACCTFROM><BANKID>{acct.bank_code}<ACCTID>{acct.account_id}"
            "<ACCTTYPE>CHECKING</BANKACCTFROM>\r\n"
            f"<BANKTRANLIST><DTSTART>{ymd(f.start)}<DTEND>{ymd(f.end)}\r\n"
        )
        tail = (
            f"</BANKTRANLIST><LEDGERBAL><BALAMT>{pounds(f.closing)}<DTASOF>{ymd(f.end)}</LEDGERBAL>"
            "</STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\r\n"
        )
        encoding = "cp1252"
    data = (head + "\r\n".join(trns) + ("\r\n" if trns else "") + tail).encode(encoding)
    if f.corrupt == "truncated":
        # the download broke off after a whole transaction, well before the end
        cut = data.rfind(b"</STMTTRN>", 0, len(data) * 3 // 5)
        data = data[: cut + len(b"</STMTTRN>")] if cut > 0 else data[: len(data) // 2]
    return data


def render_statement(acct: Account, f: StatementFile) -> bytes:
    if f.fmt in ("ofx1", "ofx2"):
        return render_ofx(acct, f)
    if f.fmt == "nationwide":
        return render_nationwide(acct, f)
    return render_generic(acct, f)

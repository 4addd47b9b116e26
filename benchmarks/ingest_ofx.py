"""How long the nightly job takes to ingest 10,000 OFX statements.

    uv run python benchmarks/ingest_ofx.py --files 10000 --transactions 20

Writes N monthly OFX statements (half SGML CP1252, half XML with BST times) for
N/12 accounts into a temp inbox, then times the job's ingest (parse with
ofxparse behind dprecon's reader, GX validation, load) and the whole run,
without Prefect's start-up. Prints files/s and transactions/s.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from flows.job import run_job
from flows.validation import validate_batch

SGML_HEAD = """OFXHEADER:100\r\nDATA:OFXSGML\r\nVERSION:102\r\nSECURITY:NONE\r\nENCODING:USASCII\r\nCHARSET:1252\r\nCOMPRESSION:NONE\r\nOLDFILEUID:NONE\r\nNEWFILEUID:NONE\r\n\r\n"""


def statement(acct: str, month_start: date, n: int, xml: bool, seed: int) -> bytes:
    lines = []
    for k in range(n):
        d = month_start + timedelta(days=(k * 29) // max(n, 1))
        pence = (seed * 7 + k * 13) % 9000 + 100  # whole pence: no float near money
        amount = f"-{pence // 100}.{pence % 100:02d}" if k else "1200.00"
        stamp = d.strftime("%Y%m%d") + ("000000[+1:BST]" if xml else "")
        name = "NORTHSHIRE COUNCIL DP" if k == 0 else f"CAF\u00c9 {k} \u00a3 SHOP"
        if xml:
            lines.append(f"<STMTTRN><TRNTYPE>DEBIT</TRNTYPE><DTPOSTED>{stamp}</DTPOSTED><TRNAMT>{amount}</TRNAMT>"
                         f"<FITID>{acct}{d:%Y%m%d}{k:03d}</FITID><NAME>{name}</NAME></STMTTRN>")
        else:
            lines.append(f"<STMTTRN>\r\n<TRNTYPE>DEBIT\r\n<DTPOSTED>{stamp}\r\n<TRNAMT>{amount}\r\n"
                         f"<FITID>{acct}{d:%Y%m%d}{k:03d}\r\n<NAME>{name}\r\n</STMTTRN>")
    end = month_start + timedelta(days=29)
    body = (f"<OFX><BANKMSGSRSV1><STMTTRNRS><STMTRS><CURDEF>GBP<BANKACCTFROM><BANKID>309634<ACCTID>{acct}"
            f"<ACCTTYPE>CHECKING</BANKACCTFROM><BANKTRANLIST><DTSTART>{month_start:%Y%m%d}<DTEND>{end:%Y%m%d}"
            + "".join(lines) + "</BANKTRANLIST><LEDGERBAL><BALAMT>0.00<DTASOF>"
            f"{end:%Y%m%d}</LEDGERBAL></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>")
    if xml:
        body = body.replace("<CURDEF>GBP", "<CURDEF>GBP</CURDEF>").replace("<BANKID>309634", "<BANKID>309634</BANKID>")
        body = body.replace(f"<ACCTID>{acct}", f"<ACCTID>{acct}</ACCTID>").replace("<ACCTTYPE>CHECKING", "<ACCTTYPE>CHECKING</ACCTTYPE>")
        body = body.replace(f"<DTSTART>{month_start:%Y%m%d}", f"<DTSTART>{month_start:%Y%m%d}</DTSTART>")
        body = body.replace(f"<DTEND>{end:%Y%m%d}", f"<DTEND>{end:%Y%m%d}</DTEND>")
        body = body.replace("<BALAMT>0.00", "<BALAMT>0.00</BALAMT>").replace(f"<DTASOF>{end:%Y%m%d}", f"<DTASOF>{end:%Y%m%d}</DTASOF>")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<?OFX OFXHEADER="200" VERSION="211"?>\n' + body).encode("utf-8")
    return (SGML_HEAD + body).encode("cp1252")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=10000)
    ap.add_argument("--transactions", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="dprecon-ofx-"))
    inbox = work / "inbox"
    t = time.perf_counter()
    for i in range(args.files):
        acct, month = f"{30963400000000 + i // 12}", i % 12
        start = date(2025, 4 + month if month < 9 else month - 8, 1).replace(year=2025 if month < 9 else 2026)
        path = inbox / "statements" / acct / f"{start:%Y-%m}.ofx"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(statement(acct, start, args.transactions, xml=i % 2 == 1, seed=i))
    print(f"wrote {args.files} files in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    result = run_job(inbox, work / "w.duckdb", work / "reports", date(2026, 4, 1), validate=validate_batch,
                     workers=args.workers)
    took = time.perf_counter() - t
    ing = result["ingest"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ingested {ing['accepted']} files, {ing['rows_loaded']} transactions "
          f"({ing['quarantined']} quarantined) in {took:.1f} s with {args.workers} workers: "
          f"{ing['accepted'] / took:.0f} files/s, {ing['rows_loaded'] / took:.0f} transactions/s; "
          f"peak memory {peak:.0f} MiB (parent process)")


if __name__ == "__main__":
    main()

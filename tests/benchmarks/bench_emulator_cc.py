"""Benchmark: one streamed CC records.json read of a 1,000,000-member campaign from the emulator.

    python tests/benchmarks/bench_emulator_cc.py [--members N] [--keep DIR] [--no-baseline]

It builds an emulator database file (default seed, plus N CRM customers and N members of campaign 125,
written straight into SQLite), starts `python -m reconciler.emulator --db FILE` as a separate process, reads
`/cc/api/stats/campaigns/125/records.json` in one streamed request (the client counts the records with ijson,
never holding the body), and prints the time, the throughput and the emulator's peak RSS (VmHWM from
/proc/PID/status; the target is < 500 MB). A naive baseline follows: the same rows built as one Python list
and serialised with json.dumps in this process, which is what a non-streaming server would do.

This is not a test; pytest does not collect it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx
import ijson

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from harness.process import EmulatorProcess  # noqa: E402

from reconciler.emulator import build_state  # noqa: E402
from reconciler.emulator.store import Store  # noqa: E402
from reconciler.emulator.view import Member  # noqa: E402

CAMPAIGN = 125
FIRST_CUSTOMER = 20_000_000
AUTH = ("demo", "demo-token")


def build_database(path: Path, members: int) -> float:
    """Seed a new database file and add `members` CRM customers and campaign members; returns seconds."""
    started = time.perf_counter()
    state = build_state(str(path))
    try:
        ids = range(FIRST_CUSTOMER, FIRST_CUSTOMER + members)
        state.view.add_customers((i, f"0207946{i % 10_000:04d}") for i in ids)
        state.view.add_members(CAMPAIGN, (Member(i, status=i % 5) for i in ids))
    finally:
        state.store.close()
    return time.perf_counter() - started


def proc_status(pid: int, field: str) -> int:
    """A /proc/PID/status memory field in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise KeyError(field)


def streamed_read(base_url: str, *, parse: bool) -> tuple[int, int, float, float]:
    """(records, bytes, seconds to the first byte, total seconds) of one streamed records.json read.

    With `parse` the client counts the records with ijson as they arrive; without, it only counts bytes.
    """
    url = f"{base_url}/cc/api/stats/campaigns/{CAMPAIGN}/records.json"
    started = time.perf_counter()
    count = size = 0
    items = ijson.sendable_list()
    parser = ijson.items_coro(items, "records.record.item", use_float=True)
    with httpx.Client(timeout=600) as client, client.stream("GET", url, auth=AUTH) as response:
        response.raise_for_status()
        first_byte = time.perf_counter() - started
        for chunk in response.iter_raw():
            size += len(chunk)
            if parse:
                parser.send(chunk)
                count += len(items)
                del items[:]
    if parse:
        parser.close()
        count += len(items)
    return count, size, first_byte, time.perf_counter() - started


def naive_baseline(db: Path) -> tuple[int, float, int]:
    """(bytes, seconds, peak RSS growth kB): the whole body as one list of dicts and one json.dumps."""
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    store = Store.open(str(db))
    try:
        with store.lock:
            rows = store.conn.execute(
                "SELECT m.customer_id, c.phone, m.status, m.status_code, m.ext_trans_data, m.disposition_code,"
                " k.name FROM cc_members m JOIN crm_customers c ON c.id = m.customer_id"
                " JOIN cc_campaigns k ON k.id = m.campaign_id WHERE m.campaign_id = ? ORDER BY m.seq",
                (CAMPAIGN,),
            ).fetchall()
    finally:
        store.close()
    body = json.dumps(
        {
            "records": {
                "record": [
                    {
                        "campaign-name": name,
                        "campaign-id": CAMPAIGN,
                        "record-id": cid,
                        "phone-list": f"*Phone Number|{phone}",
                        "status": status,
                        "status-code": code,
                        "ext-trans-data": ext,
                        "disposition-code": disposition,
                    }
                    for cid, phone, status, code, ext, disposition, name in rows
                ]
            }
        }
    ).encode()
    seconds = time.perf_counter() - started
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    return len(body), seconds, growth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, default=None, help="build the database in DIR and keep it")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive in-memory baseline")
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        directory = args.keep or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-cc-")))
        directory.mkdir(parents=True, exist_ok=True)
        db = directory / "emulator.sqlite"
        if db.exists():
            db.unlink()
        build_seconds = build_database(db, args.members)
        print(
            f"database: {args.members:,} members written in {build_seconds:.1f} s ({db.stat().st_size / 1e6:.0f} MB)"
        )

        with EmulatorProcess(db=db, ready_seconds=30) as emulator:
            idle_kb = proc_status(emulator.process.pid, "VmRSS")
            _, raw_size, raw_first, raw_seconds = streamed_read(emulator.base_url, parse=False)
            count, _, first_byte, seconds = streamed_read(emulator.base_url, parse=True)
            peak_kb = proc_status(emulator.process.pid, "VmHWM")
        if count != args.members:
            raise SystemExit(f"read {count:,} records, expected {args.members:,}")
        print(
            f"streamed read, bytes only: {raw_size / 1e6:.0f} MB in {raw_seconds:.2f} s "
            f"(first byte after {raw_first * 1000:.0f} ms; {args.members / raw_seconds:,.0f} records/s, "
            f"{raw_size / 1e6 / raw_seconds:.0f} MB/s)"
        )
        print(
            f"streamed read, parsed by the client with ijson: {count:,} records in {seconds:.2f} s "
            f"(first byte after {first_byte * 1000:.0f} ms; {count / seconds:,.0f} records/s)"
        )
        verdict = "OK" if peak_kb < 500 * 1024 else "OVER TARGET"
        print(
            f"emulator RSS: {idle_kb / 1024:.0f} MB idle before the read, peak (VmHWM) {peak_kb / 1024:.0f} MB "
            f"(target < 500 MB: {verdict})"
        )
        if not args.no_baseline:
            naive_bytes, naive_seconds, naive_growth = naive_baseline(db)
            print(
                f"naive baseline (list of dicts + json.dumps, in this process): {naive_bytes / 1e6:.0f} MB "
                f"in {naive_seconds:.2f} s, peak RSS growth {naive_growth / 1024:.0f} MB"
            )


if __name__ == "__main__":
    main()

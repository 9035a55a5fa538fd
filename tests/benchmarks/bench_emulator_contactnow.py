"""Benchmark: the ContactNow emulator as a separate process on loopback (not a test; prints figures).

    .venv/bin/python tests/benchmarks/bench_emulator_contactnow.py [--records 100000] [--read-rows 1000000]

1. Creates RECORDS records in batches of 1,000 (ecnow_records create) and reports seconds and rows/s
   (target: 100,000 in under 30 s).
2. Reads a dataset of READ_ROWS records (written straight into the SQLite file before the server starts) in
   one request, streamed, and reports seconds, rows/s and the emulator's peak RSS (VmHWM; target < 500 MB).
"""

from __future__ import annotations

import argparse
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

BATCH = 1000


def _prepare(db: str, read_rows: int) -> int:
    """Seed the database and write one dataset of `read_rows` records directly; returns the dataset id."""
    state = build_state(db)
    try:
        dataset = state.view.add_dataset("Willtest", "bench read")
        rows = (
            {
                "VENDOR_URN": f"R-{i:07d}",
                "FirstName": "Firstname",
                "LastName": f"Lastname{i % 1000}",
                "MobilePhone": f"07700{i:06d}",
                "Postcode": "SW1A 1AA",
                "ProcessType": "HOLD: New Prospect",
                "loaddate": "2026-01-01",
                "Testy": f"value {i % 100}",
            }
            for i in range(read_rows)
        )
        state.view.add_records(dataset, rows, created=time.time())
    finally:
        state.store.close()
    return dataset


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--read-rows", type=int, default=1_000_000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-emulator-") as tmp:
        db = str(Path(tmp) / "emulator.sqlite")
        started = time.perf_counter()
        read_dataset = _prepare(db, args.read_rows)
        print(f"prepared {args.read_rows:,} records in the db file in {time.perf_counter() - started:.1f} s")

        with EmulatorProcess(db=db, ready_seconds=30) as server, httpx.Client(timeout=600) as client:
            base = f"{server.base_url}/contactnow/"
            token = client.get(
                f"{base}token.php",
                params={"action": "get", "username": "demo", "password": "demo-password"},
            ).json()["token"]
            common = {"token": token, "format": "json", "raw": 1}
            created = client.post(
                f"{base}ecnow.php",
                params={**common, "method": "ecnow_datasets", "action": "create"},
                json=[{"import_table": "Willtest", "description": "bench create"}],
            ).json()
            dataset = created["key"]

            # 1. creates in batches of 1,000
            started = time.perf_counter()
            for batch_start in range(0, args.records, BATCH):
                rows = [
                    {
                        "dataset": dataset,
                        "VENDOR_URN": f"C-{i:07d}",
                        "FirstName": "Firstname",
                        "LastName": f"Lastname{i % 1000}",
                        "MobilePhone": f"07700{i:06d}",
                        "Postcode": "SW1A 1AA",
                        "Testy": f"value {i % 100}",
                    }
                    for i in range(batch_start, min(batch_start + BATCH, args.records))
                ]
                body = client.post(
                    f"{base}ecnow.php",
                    params={**common, "method": "ecnow_records", "action": "create"},
                    json=rows,
                ).json()
                assert body["total"] == len(rows) and body["bad"] == 0, body
            elapsed = time.perf_counter() - started
            print(
                f"create: {args.records:,} records in batches of {BATCH:,}: {elapsed:.2f} s, "
                f"{args.records / elapsed:,.0f} rows/s (target: 100,000 under 30 s)"
            )
            print(f"emulator peak RSS after the creates: {_peak_rss_mb(server.process.pid):.0f} MB")

            # 2. one streamed read of the big dataset
            started = time.perf_counter()
            count = 0
            received = 0
            with client.stream(
                "GET",
                f"{base}ecnow.php",
                params={**common, "method": "ecnow_records", "action": "read", "dataset": read_dataset},
            ) as response:

                class _Stream:
                    def read(self, size: int = -1) -> bytes:
                        nonlocal received
                        if size == 0:  # ijson probes the type of the stream with read(0)
                            return b""
                        chunk = next(chunks, b"")
                        received += len(chunk)
                        return chunk

                chunks = response.iter_raw(1 << 16)
                for _ in ijson.items(_Stream(), "list.item"):
                    count += 1
            elapsed = time.perf_counter() - started
            assert count == args.read_rows, count
            print(
                f"read: {count:,} records ({received / 1e6:,.0f} MB of JSON) in one streamed request: "
                f"{elapsed:.2f} s, {count / elapsed:,.0f} rows/s"
            )
            print(
                f"emulator peak RSS (VmHWM) after the read: {_peak_rss_mb(server.process.pid):.0f} MB (target: < 500 MB)"
            )


if __name__ == "__main__":
    main()

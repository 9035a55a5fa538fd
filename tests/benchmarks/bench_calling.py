"""Benchmark: what calling hours add to a plan (issue #17): the same 1,000,000-row RecordSet of mixed US, UK and AU
numbers, planned without a CallingPolicy and with one (zones resolved by phone prefix, the report, the proof).

    .venv/bin/python tests/benchmarks/bench_calling.py [--rows N] [--repeat N] [--keep DIR] [--postcodes]

With --postcodes the records carry a Postcode too (GB, AU, US ZIP and ZIP+4, Canadian, invalid and empty ones),
and the policy resolves by postcode first, then phone.

The live dataset holds the same rows (a no-op diff), seeded into the emulator's SQLite file, which runs as its own
process on loopback; each plan runs `reconciler plan` in a subprocess. It prints each run's wall time, user+sys
CPU and peak RSS, the best of each, and the ratio (the issue's bound: at most 1.5x). This is not a test; pytest
does not collect it.

Measured at 2018c33, the machine otherwise quiet (load 1.5-2.2), `--repeat 3`, phone prefixes:
    without a policy 6.99 / 7.80 / 8.28 s (CPU 8.63 / 9.83 / 10.48 s), peak 301-306 MB
    with one         8.03 / 9.29 / 8.40 s (CPU 10.34 / 11.89 / 10.72 s), peak 312-332 MB
    best 1.15x, medians 8.40 / 7.80 s = 1.08x
"""

from __future__ import annotations

import argparse
import csv
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "benchmarks")]

from bench_scale import reconciler, run_measured, show  # noqa: E402
from harness.process import EmulatorProcess  # noqa: E402

from reconciler.emulator import build_state  # noqa: E402

FIELDS = ("VENDOR_URN", "FirstName", "MobilePhone")
PREFIXES = ("+1212", "+1310", "+1415", "+1713", "+4420", "+447700", "+44161", "+612", "+613", "+618", "+614")
"""New York, Los Angeles, San Francisco, Houston, London, UK mobile, Manchester, Sydney, Melbourne, Perth, AU mobile."""
POSTCODES = (
    "10001",
    "90210",
    "94103-1234",
    "SW1A 1AA",
    "m1 1ae",
    "2000",
    "6000",
    "M5V 2T6",
    "V6B1A1",
    "46204",
    "09012",
    "not a postcode",
    "",
)
"""With --postcodes, cycled beside the phones (13 against 11, so every pair occurs)."""

POLICY = """---
apiVersion: reconciler/v1
kind: CallingPolicy
metadata: {name: calling}
spec:
  floor: US-TCPA@2026-11
  windows: {mon: "09:00-20:00", tue: "09:00-20:00", wed: "09:00-20:00", thu: "09:00-20:00", fri: "09:00-20:00"}
  marginMinutes: 15
  enforcement: advisory
  zones: {ZONES}
---
apiVersion: reconciler/v1
kind: TodPolicy
metadata: {name: uk-hours}
spec:
  description: UK hours
  timezone: Europe/London
  rules: [{days: [mon, tue, wed, thu, fri], hours: "09:00-20:00", action: active}]
---
apiVersion: reconciler/v1
kind: Queue
metadata: {name: willtest}
spec: {qid: 75674454, todPolicy: uk-hours}
"""


def rows(n: int, *, postcodes: bool) -> Iterator[list[str]]:
    for i in range(n):
        prefix = PREFIXES[i % len(PREFIXES)]
        row = [f"R{i:08d}", f"First{i % 5000}", f"{prefix}{i % 10**7:07d}"]
        yield [*row, POSTCODES[i % len(POSTCODES)]] if postcodes else row


def fields(*, postcodes: bool) -> tuple[str, ...]:
    return (*FIELDS, "Postcode") if postcodes else FIELDS


def seed(db: Path, n: int, *, postcodes: bool) -> int:
    state = build_state(str(db))
    try:
        dataset = state.view.add_dataset("Willtest", "bench")
        records = (
            {
                **dict(zip(fields(postcodes=postcodes), values, strict=True)),
                "ProcessType": "HOLD: New Prospect",
                "loaddate": "2026-01-01",
            }
            for values in rows(n, postcodes=postcodes)
        )
        state.view.add_records(dataset, records, created=time.time())
    finally:
        state.store.close()
    return dataset


def write_project(root: Path, base_url: str, dataset: int, *, policy: bool, postcodes: bool) -> None:
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Project\ndefaultTarget: bench\nmanifests: [manifests]\n"
        "guards: {maxPercent: 100, minRows: 10}\ntargets:\n  bench:\n"
        f"    contactnow: {{baseUrl: '{base_url}/contactnow/', usernameEnv: CN_USER, passwordEnv: CN_PASS}}\n"
    )
    named = ", callingPolicy: calling, queue: 75674454" if policy else ""
    zones = (
        "{precedence: [postcode, phone], postcodeColumn: Postcode, region: GB}"
        if postcodes
        else "{precedence: [phone], region: GB}"
    )
    managed = ", ".join(fields(postcodes=postcodes)[1:])
    (root / "manifests" / "records.yaml").write_text(
        (POLICY.replace("{ZONES}", zones) if policy else "")
        + "---\napiVersion: reconciler/v1\nkind: Dataset\nmetadata: {name: bench}\n"
        f"spec: {{campaign: Willtest, description: bench, id: {dataset}, status: HOLD{named}}}\n---\n"
        "apiVersion: reconciler/v1\nkind: RecordSet\nmetadata: {name: bench}\n"
        f"spec: {{dataset: bench, fields: [{managed}], source: records.csv}}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="keep the data in this folder")
    parser.add_argument(
        "--postcodes", action="store_true", help="resolve by a Postcode column first, then phone"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = options.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        db = work / "calling.sqlite3"
        started = time.perf_counter()
        dataset = seed(db, options.rows, postcodes=options.postcodes)
        roots = {name: work / name for name in ("without", "with")}
        for root in roots.values():
            (root / "manifests").mkdir(parents=True, exist_ok=True)
            with (root / "manifests" / "records.csv").open("w", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(fields(postcodes=options.postcodes))
                writer.writerows(rows(options.rows, postcodes=options.postcodes))
        print(
            f"{options.rows:,} rows generated and seeded in {time.perf_counter() - started:.0f} s", flush=True
        )
        best: dict[str, float] = {}
        with EmulatorProcess(db=db, ready_seconds=120) as emulator:
            for name, root in roots.items():
                write_project(
                    root, emulator.base_url, dataset, policy=name == "with", postcodes=options.postcodes
                )
            for attempt in range(options.repeat):
                for name, root in roots.items():
                    # The plan is the only child that ends while this runs (the emulator ends last), so the
                    # children's CPU time grows by the plan's alone.
                    before = resource.getrusage(resource.RUSAGE_CHILDREN)
                    run = run_measured(
                        f"plan {name} policy #{attempt + 1}",
                        reconciler("plan", str(root), "--detailed-exitcode"),
                        emulator.base_url,
                    )
                    after = resource.getrusage(resource.RUSAGE_CHILDREN)
                    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
                    show(run, f"cpu {cpu:.2f} s (user+sys)")
                    best[name] = min(best.get(name, run.wall), run.wall)
        print(
            f"best: without {best['without']:.2f} s, with {best['with']:.2f} s; "
            f"ratio {best['with'] / best['without']:.2f}x (bound 1.5x)"
        )


if __name__ == "__main__":
    main()

"""Benchmark: what calling hours add to a plan (issue #17): the same 1,000,000-row RecordSet of mixed US, UK and AU
numbers, planned without a CallingPolicy and with one (zones resolved by phone prefix, the report, the proof).

    .venv/bin/python tests/benchmarks/bench_calling.py [--rows N] [--repeat N] [--keep DIR]

The live dataset holds the same rows (a no-op diff), seeded into the emulator's SQLite file, which runs as its own
process on loopback; each plan runs `reconciler plan` in a subprocess. It prints each run's wall time and peak RSS,
the best of each, and the ratio (the issue's bound: at most 1.5x). This is not a test; pytest does not collect it.
"""

from __future__ import annotations

import argparse
import csv
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

POLICY = """---
apiVersion: reconciler/v1
kind: CallingPolicy
metadata: {name: calling}
spec:
  floor: US-TCPA@2026-11
  windows: {mon: "09:00-20:00", tue: "09:00-20:00", wed: "09:00-20:00", thu: "09:00-20:00", fri: "09:00-20:00"}
  marginMinutes: 15
  enforcement: advisory
  zones: {precedence: [phone], region: GB}
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


def rows(n: int) -> Iterator[list[str]]:
    for i in range(n):
        prefix = PREFIXES[i % len(PREFIXES)]
        yield [f"R{i:08d}", f"First{i % 5000}", f"{prefix}{i % 10**7:07d}"]


def seed(db: Path, n: int) -> int:
    state = build_state(str(db))
    try:
        dataset = state.view.add_dataset("Willtest", "bench")
        records = (
            {
                **dict(zip(FIELDS, values, strict=True)),
                "ProcessType": "HOLD: New Prospect",
                "loaddate": "2026-01-01",
            }
            for values in rows(n)
        )
        state.view.add_records(dataset, records, created=time.time())
    finally:
        state.store.close()
    return dataset


def write_project(root: Path, base_url: str, dataset: int, *, policy: bool) -> None:
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Project\ndefaultTarget: bench\nmanifests: [manifests]\n"
        "guards: {maxPercent: 100, minRows: 10}\ntargets:\n  bench:\n"
        f"    contactnow: {{baseUrl: '{base_url}/contactnow/', usernameEnv: CN_USER, passwordEnv: CN_PASS}}\n"
    )
    named = ", callingPolicy: calling, queue: 75674454" if policy else ""
    (root / "manifests" / "records.yaml").write_text(
        (POLICY if policy else "")
        + "---\napiVersion: reconciler/v1\nkind: Dataset\nmetadata: {name: bench}\n"
        f"spec: {{campaign: Willtest, description: bench, id: {dataset}, status: HOLD{named}}}\n---\n"
        "apiVersion: reconciler/v1\nkind: RecordSet\nmetadata: {name: bench}\n"
        "spec: {dataset: bench, fields: [FirstName, MobilePhone], source: records.csv}\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="keep the data in this folder")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        work = options.keep or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        db = work / "calling.sqlite3"
        started = time.perf_counter()
        dataset = seed(db, options.rows)
        roots = {name: work / name for name in ("without", "with")}
        for root in roots.values():
            (root / "manifests").mkdir(parents=True, exist_ok=True)
            with (root / "manifests" / "records.csv").open("w", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(FIELDS)
                writer.writerows(rows(options.rows))
        print(
            f"{options.rows:,} rows generated and seeded in {time.perf_counter() - started:.0f} s", flush=True
        )
        best: dict[str, float] = {}
        with EmulatorProcess(db=db, ready_seconds=120) as emulator:
            for name, root in roots.items():
                write_project(root, emulator.base_url, dataset, policy=name == "with")
            for attempt in range(options.repeat):
                for name, root in roots.items():
                    run = run_measured(
                        f"plan {name} policy #{attempt + 1}",
                        reconciler("plan", str(root), "--detailed-exitcode"),
                        emulator.base_url,
                    )
                    show(run)
                    best[name] = min(best.get(name, run.wall), run.wall)
        print(
            f"best: without {best['without']:.2f} s, with {best['with']:.2f} s; "
            f"ratio {best['with'] / best['without']:.2f}x (bound 1.5x)"
        )


if __name__ == "__main__":
    main()

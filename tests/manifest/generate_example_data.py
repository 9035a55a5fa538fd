"""Write the example source files under examples/manifests/data/ (deterministic; no randomness).

Run from the repository root: `.venv/bin/python tests/manifest/generate_example_data.py`. test_examples.py
checks that the committed files are exactly what this script writes.

All data is fictional: mobiles 07700 900000-900999 and London numbers 020 7946 0000-0999 are Ofcom's ranges
reserved for drama, emails are at example.com, and postcodes use the non-existent ZZ area.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "examples" / "manifests" / "data"

FIRST_NAMES = ("Ann", "Bob", "Chloe", "Dev", "Erin", "Femi", "Grace", "Hamza", "Iris", "Jon", "Kemi", "Liam")
LAST_NAMES = ("Archer", "Bell", "Carter", "Doyle", "Evans", "Fox", "Gray", "Hughes", "Iqbal", "Jones", "Khan")
TITLES = ("Mr", "Ms", "Mrs", "Dr", "Mx")
TESTY = ("alpha", "beta", "gamma", "")

SPRING_ROWS = 300
NELSON_ROWS = 20
MEMBERS = 500


def spring_renewals_csv() -> str:
    """300 records for Willtest, keyed by VENDOR_URN, with the custom field Testy."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "VENDOR_URN",
            "Title",
            "FirstName",
            "LastName",
            "Postcode",
            "MobilePhone",
            "HomePhone",
            "Customer_Email",
            "Testy",
        ]
    )
    for index in range(SPRING_ROWS):
        first = FIRST_NAMES[index % len(FIRST_NAMES)]
        last = LAST_NAMES[(index * 7) % len(LAST_NAMES)]
        writer.writerow(
            [
                f"SPR-{index + 1:04d}",
                TITLES[index % len(TITLES)],
                first,
                last,
                f"ZZ{index % 9 + 1} {index % 10}{'ABDEFGHJ'[index % 8]}{'LNPQRSTU'[(index // 8) % 8]}",
                f"07700{900000 + index:06d}",
                f"02079460{index:03d}" if index % 3 == 0 else "",
                f"{first.lower()}.{last.lower()}.{index + 1}@example.com",
                TESTY[index % len(TESTY)],
            ]
        )
    return out.getvalue()


def nelson_trial_jsonl() -> str:
    """20 records for nelsontest as JSON Lines (a JSON number would become its text; phones stay strings)."""
    lines = []
    for index in range(NELSON_ROWS):
        record = {
            "VENDOR_URN": f"NTR-{index + 1:03d}",
            "FirstName": FIRST_NAMES[(index + 3) % len(FIRST_NAMES)],
            "LastName": LAST_NAMES[(index + 5) % len(LAST_NAMES)],
            "MobilePhone": f"+447700{900500 + index:06d}",
            "WorkPhone": f"020794605{index:02d}" if index % 2 == 0 else "",
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def winback_members_csv() -> str:
    """500 CRM customers of the Contact Center (10000000 upwards) for campaign 125; every fifth scheduled."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["customer-id", "schedule"])
    for index in range(MEMBERS):
        schedule = (
            f"+{index % 3 + 1}d {9 + index % 8:02d}:{(index % 4) * 15:02d}+00:00" if index % 5 == 0 else ""
        )
        writer.writerow([str(10000000 + index), schedule])
    return out.getvalue()


FILES = {
    "spring-renewals.csv": spring_renewals_csv,
    "nelson-trial.jsonl": nelson_trial_jsonl,
    "winback-members.csv": winback_members_csv,
}


def main() -> None:
    DATA.mkdir(parents=True, exist_ok=True)
    for name, make in FILES.items():
        (DATA / name).write_text(make(), encoding="utf-8", newline="")


if __name__ == "__main__":
    main()

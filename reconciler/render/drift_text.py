"""Drift reports as text and Markdown. They write to a stream and decide nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TextIO

from ..text import shown
from .plan_text import _counts_text, _line, _md_text, _value, observation_lines

MARKDOWN_MARKER = "<!-- reconciler-drift -->"


_FINDINGS = (
    ("Irreversible drift (cannot be restored by apply)", "irreversible"),
    ("Problems", "problems"),
    ("Not read (the rest of the report stands)", "errors"),
)


def drift_line(report: Mapping[str, Any]) -> str:
    parts = []
    count = len(report["config_drift"])
    if count:
        noun = "resource has" if count == 1 else "resources have"
        parts.append(f"{count} {noun} changed outside git")
    if report["irreversible"]:
        parts.append(f"{len(report['irreversible'])} irreversible")
    if report["problems"]:
        parts.append(f"{len(report['problems'])} {'problem' if len(report['problems']) == 1 else 'problems'}")
    if report["errors"]:
        parts.append(f"{len(report['errors'])} not read")
    if report["compliance"]:
        found = len(report["compliance"])
        parts.append(f"{found} compliance {'finding' if found == 1 else 'findings'}")
    if report["drift"]:
        return (
            f"Drift: {'; '.join(parts)}. Review the report, then either run `reconciler apply` to restore the "
            "manifests or change the manifests to accept it."
        )
    if report["errors"]:
        return f"No drift found in what could be read; {parts[-1]}."
    return "No drift: the live state matches the manifests."


def _finding(item: Mapping[str, Any]) -> str:
    where = f"{item['location']}: " if item["location"] else ""
    remedy = f" ({item['remedy']})" if item["remedy"] else ""
    return _line(f"{where}{item['address']}: {item['message']}{remedy}")


def _change_lines(change: Mapping[str, Any]) -> list[str]:
    lines = [
        f"{item['field']}: {_value(item['before'])} -> {_value(item['after'])}" for item in change["fields"]
    ]
    if change["counts"]:
        lines.append(f"{change['unit'] or 'rows'}: {_counts_text(change['counts'])}")
    if change["field_counts"]:
        lines.append(
            "fields: " + ", ".join(f"{name} {count}" for name, count in change["field_counts"].items())
        )
    for row in change["sample"]:
        details = "; ".join(
            f"{item['field']}: {_value(item['before'])} -> {_value(item['after'])}" for item in row["fields"]
        )
        lines.append(f"  {row['action']} {shown(row['key'])}" + (f"  {details}" if details else ""))
    return lines


def render_drift_text(report: Mapping[str, Any], stream: TextIO) -> None:
    stream.write(f"Drift report for target {report['target']}\n\n")
    stream.write("Config drift (fields the manifests own, changed outside git):\n")
    if not report["config_drift"]:
        stream.write("  none\n")
    for change in report["config_drift"]:
        stream.write(f"  {change['action']} {change['address']}\n")
        for line in _change_lines(change):
            stream.write(f"      {line}\n")
    for title, key in _FINDINGS:
        if report[key]:
            stream.write(f"\n{title}:\n")
            for item in report[key]:
                stream.write(f"  {_finding(item)}\n")
    for title, key in (
        ("Compliance findings (dialable records on a suppression list)", "compliance"),
        ("Unmanaged objects", "unmanaged"),
        ("Dialler churn (expected)", "churn"),
        ("Notes", "other"),
    ):
        if report[key]:
            stream.write(f"\n{title}:\n")
            for address, _category, message in observation_lines(report[key]):
                stream.write(f"  {address}: {message}\n")
    stream.write(f"\n{drift_line(report)}\n")


def render_drift_markdown(report: Mapping[str, Any], stream: TextIO) -> None:
    stream.write(f"{MARKDOWN_MARKER}\n### reconciler drift for `{report['target']}`\n\n")
    stream.write(f"**{drift_line(report)}**\n\n#### Config drift\n\n")
    if not report["config_drift"]:
        stream.write("None.\n")
    for change in report["config_drift"]:
        stream.write(
            f"- `{change['action']}` `{change['address']}`: " + "; ".join(_change_lines(change)) + "\n"
        )
    for title, key in _FINDINGS:
        if report[key]:
            stream.write(f"\n#### {title}\n\n")
            for item in report[key]:
                stream.write(f"- {_md_text(_finding(item))}\n")
    for title, key in (
        ("Compliance findings (dialable records on a suppression list)", "compliance"),
        ("Unmanaged objects", "unmanaged"),
        ("Dialler churn (expected)", "churn"),
        ("Notes", "other"),
    ):
        if report[key]:
            stream.write(f"\n#### {title}\n\n")
            for address, _category, message in observation_lines(report[key]):
                stream.write(f"- `{address}`: {_md_text(message)}\n")

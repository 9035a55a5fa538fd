"""Plans and apply results as text in the manner of Terraform, and as Markdown for a pull-request comment.

Both render `Plan.to_dict()`, the canonical form, so what a reviewer reads is what the checksum covers. They write
to a stream and decide nothing: masking was done when the dictionary was made.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from ..plan.plan import dumps
from ..text import shown

MARKDOWN_BUDGET = 60_000
"""GitHub refuses a comment over 65,536 characters; the default leaves room for what a bot adds around it."""
CUT_NOTICE_ROOM = 400


MESSAGE_LIMIT = 400
"""A message (an observation, a note) longer than this is cut when shown."""

__all__ = ["MARKDOWN_MARKER", "dumps", "render_markdown", "render_text", "summary_line"]

MARKDOWN_MARKER = "<!-- reconciler-plan -->"
"""A bot looks for this line to find and update its own pull-request comment."""

_COLOURS = {"+": "32", "~": "33", "-": "31", "-/+": "35", "!": "1;31"}
_VERBS = {
    "+": "will be created",
    "~": "will be updated",
    "-": "will be removed",
    "-/+": "will be replaced",
    "!": "will change irreversibly",
}


def _paint(text: str, action: str, colour: bool) -> str:
    if not colour:
        return text
    return f"\x1b[{_COLOURS.get(action, '0')}m{text}\x1b[0m"


def summary_line(summary: Mapping[str, Mapping[str, int]]) -> str:
    """One line that keeps resources and rows apart."""
    resources, rows = summary["resources"], summary["rows"]
    irreversible = f", {resources['irreversible']} irreversible" if resources["irreversible"] else ""
    return (
        f"Plan: {_many(resources['create'], 'resource')} to create, {resources['change']} to change{irreversible}; "
        f"{_many(rows['create'], 'row')} to create, {rows['change']} to change, {rows['remove']} to "
        "complete/remove."
    )


def _many(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def observation_lines(observations: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(address, category, message) to show: observations with a group are told as counts, one line per kind
    and category (the full list stays in the JSON plan); the others one by one."""
    counted: dict[tuple[str, str], Counter[str]] = {}
    lines: list[tuple[str, str, str]] = []
    for item in observations:
        if item["group"]:
            kind = item["address"].split("/", 1)[0]
            counted.setdefault((kind, item["category"]), Counter())[item["group"]] += 1
        else:
            lines.append((item["address"], item["category"], _line(item["message"])))
    for (kind, category), groups in sorted(counted.items()):
        total = sum(groups.values())
        parts = ", ".join(f"{shown(group)} {count:,}" for group, count in sorted(groups.items()))
        lines.append(
            (kind, category, f"{total:,} live objects in no manifest ({parts}); the JSON plan lists each")
        )
    return lines


def _counts_text(counts: Mapping[str, int]) -> str:
    order = (
        "create",
        "add",
        "update",
        "reschedule",
        "complete",
        "dedupe",
        "suppress",
        "erase",
        "remove",
        "unchanged",
    )
    return ", ".join(f"{counts[name]} {name}" for name in order if counts.get(name))


def _value(value: Any) -> str:
    return "(none)" if value is None else f'"{shown(str(value))}"'


def render_text(plan: Mapping[str, Any], stream: TextIO, *, colour: bool = False) -> None:
    changes: Sequence[Mapping[str, Any]] = plan["changes"]
    if not changes:
        stream.write("No changes. The live state matches the manifests.\n")
    else:
        stream.write(f"Target {plan['target']}. Changes, in the order apply makes them:\n\n")
    for change in changes:
        action = change["action"]
        head = f"  {action} {change['address']} {_VERBS.get(action, '')}"
        stream.write(_paint(head, action, colour) + "\n")
        for item in change["fields"]:
            stream.write(f"      {item['field']}: {_value(item['before'])} -> {_value(item['after'])}\n")
        if change["counts"]:
            stream.write(f"      {change['unit'] or 'rows'}: {_counts_text(change['counts'])}\n")
        if change["field_counts"]:
            fields = ", ".join(f"{name} {count}" for name, count in change["field_counts"].items())
            stream.write(f"      fields changing: {fields}\n")
        for row in change["sample"]:
            details = "; ".join(
                f"{item['field']}: {_value(item['before'])} -> {_value(item['after'])}"
                for item in row["fields"]
            )
            key = shown(row["key"])
            stream.write(f"        {row['action']} {key}" + (f"  {details}" if details else "") + "\n")
        for note in change["notes"]:
            stream.write(f"      # {_line(note)}\n")
        stream.write("\n")
    observations = plan["observations"]
    if observations:
        stream.write("Observed, not changed:\n")
        for address, category, message in observation_lines(observations):
            stream.write(f"  {address} [{category}]: {message}\n")
        stream.write("\n")
    if plan["values"] == "masked" and any(
        item.get("before") == "(sensitive)" or item.get("after") == "(sensitive)"
        for change in changes
        for row in [change, *change["sample"]]
        for item in row["fields"]
    ):
        stream.write("Personal values are masked; --show-values reveals them.\n")
    stream.write(summary_line(plan["summary"]) + "\n")


def render_markdown(plan: Mapping[str, Any], stream: TextIO, *, budget: int = MARKDOWN_BUDGET) -> None:
    """The plan as a pull-request comment, at most `budget` characters: when the whole does not fit, the row
    samples go first, then the observations, then the changes past those that fit, and the comment says what it
    left out and where the whole plan is."""
    head = f"{MARKDOWN_MARKER}\n### reconciler plan for `{plan['target']}`\n\n**{summary_line(plan['summary'])}**\n\n"
    foot = f"\n<sub>values {plan['values']} · checksum `{plan['checksum']}`</sub>\n"
    changes: Sequence[Mapping[str, Any]] = plan["changes"]
    rows = [_md_change(change) for change in changes]
    table = "| | resource | what changes |\n|---|---|---|\n" + "".join(rows) if changes else ""
    samples = _md_samples(changes)
    observed = _md_observed(plan["observations"])
    body = table if changes else "No changes. The live state matches the manifests.\n"
    whole = head + body + samples + observed + foot
    if len(whole) <= budget:
        stream.write(whole)
        return
    left_out = []
    if samples:
        left_out.append("the sample of row changes")
    if observed:
        left_out.append(f"{len(plan['observations']):,} observations")
    room = budget - len(head) - len(foot) - CUT_NOTICE_ROOM
    kept = 0
    table = "| | resource | what changes |\n|---|---|---|\n"
    for row in rows:
        if len(table) + len(row) > room:
            break
        table += row
        kept += 1
    if kept < len(rows):
        left_out.append(f"{len(rows) - kept:,} of {len(rows):,} changes")
    notice = (
        f"\n_Cut to fit {budget:,} characters: {', '.join(left_out)} not shown. The whole plan is in the JSON "
        "plan (`reconciler plan --format json`, or the file saved with `--out`, shown by `reconciler show`)._\n"
    )
    stream.write(head + table + notice + foot)


def _md_change(change: Mapping[str, Any]) -> str:
    parts = [f"`{item['field']}`: {_md(item['before'])} → {_md(item['after'])}" for item in change["fields"]]
    if change["counts"]:
        parts.append(_counts_text(change["counts"]))
    if change["field_counts"]:
        parts.append("fields: " + ", ".join(f"`{k}` {v}" for k, v in change["field_counts"].items()))
    parts.extend(f"_{_md_text(note)}_" for note in change["notes"])
    return f"| `{change['action']}` | `{change['address']}` | {'<br>'.join(parts)} |\n"


def _md_samples(changes: Sequence[Mapping[str, Any]]) -> str:
    samples = [change for change in changes if change["sample"]]
    if not samples:
        return ""
    text = "\n<details><summary>Sample of row changes</summary>\n\n"
    for change in samples:
        text += f"**{change['address']}**\n\n"
        for row in change["sample"]:
            details = "; ".join(
                f"`{item['field']}`: {_md(item['before'])} → {_md(item['after'])}" for item in row["fields"]
            )
            text += f"- `{row['action']}` {_md(row['key'])} {details}\n"
        text += "\n"
    return text + "</details>\n"


def _md_observed(observations: Sequence[Mapping[str, Any]]) -> str:
    if not observations:
        return ""
    text = "\n<details><summary>Observed, not changed</summary>\n\n"
    for address, category, message in observation_lines(observations):
        text += f"- `{address}` ({category}): {_md_text(message)}\n"
    return text + "\n</details>\n"


def _md(value: Any) -> str:
    if value is None:
        return "_none_"
    text = shown(str(value)).replace("|", "\\|").replace("`", "'")
    return f"`{text}`"


def _line(text: str) -> str:
    """A message or note from data, on one line, escaped and cut like any value."""
    return shown(text, MESSAGE_LIMIT)


def _md_text(text: str) -> str:
    """A message or note in Markdown: escaped, cut, and unable to break out of a table cell or into HTML."""
    return _line(text).replace("|", "\\|").replace("<", "&lt;").replace("`", "'")

"""Plans and apply results as text in the manner of Terraform, and as Markdown for a pull-request comment.

Both render `Plan.to_dict()`, the canonical form, so what a reviewer reads is what the checksum covers. They write
to a stream and decide nothing: masking was done when the dictionary was made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TextIO

from ..plan.plan import dumps
from ..text import shown

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


def summary_line(summary: Mapping[str, int]) -> str:
    return (
        f"Plan: {summary['create']} to create, {summary['change']} to change, "
        f"{summary['remove']} to complete/remove."
    )


def _counts_text(counts: Mapping[str, int]) -> str:
    order = ("create", "add", "update", "reschedule", "complete", "dedupe", "remove", "unchanged")
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
        for item in observations:
            stream.write(f"  {item['address']} [{item['category']}]: {_line(item['message'])}\n")
        stream.write("\n")
    if plan["values"] == "masked" and any(
        item.get("before") == "(sensitive)" or item.get("after") == "(sensitive)"
        for change in changes
        for row in [change, *change["sample"]]
        for item in row["fields"]
    ):
        stream.write("Personal values are masked; --show-values reveals them.\n")
    stream.write(summary_line(plan["summary"]) + "\n")


def render_markdown(plan: Mapping[str, Any], stream: TextIO) -> None:
    changes: Sequence[Mapping[str, Any]] = plan["changes"]
    stream.write(f"{MARKDOWN_MARKER}\n")
    stream.write(f"### reconciler plan for `{plan['target']}`\n\n")
    stream.write(f"**{summary_line(plan['summary'])}**\n\n")
    if not changes:
        stream.write("No changes. The live state matches the manifests.\n")
    else:
        stream.write("| | resource | what changes |\n|---|---|---|\n")
        for change in changes:
            parts = [
                f"`{item['field']}`: {_md(item['before'])} → {_md(item['after'])}"
                for item in change["fields"]
            ]
            if change["counts"]:
                parts.append(_counts_text(change["counts"]))
            if change["field_counts"]:
                parts.append("fields: " + ", ".join(f"`{k}` {v}" for k, v in change["field_counts"].items()))
            parts.extend(f"_{_md_text(note)}_" for note in change["notes"])
            stream.write(f"| `{change['action']}` | `{change['address']}` | {'<br>'.join(parts)} |\n")
        samples = [change for change in changes if change["sample"]]
        if samples:
            stream.write("\n<details><summary>Sample of row changes</summary>\n\n")
            for change in samples:
                stream.write(f"**{change['address']}**\n\n")
                for row in change["sample"]:
                    details = "; ".join(
                        f"`{item['field']}`: {_md(item['before'])} → {_md(item['after'])}"
                        for item in row["fields"]
                    )
                    stream.write(f"- `{row['action']}` {_md(row['key'])} {details}\n")
                stream.write("\n")
            stream.write("</details>\n")
    if plan["observations"]:
        stream.write("\n<details><summary>Observed, not changed</summary>\n\n")
        for item in plan["observations"]:
            stream.write(f"- `{item['address']}` ({item['category']}): {_md_text(item['message'])}\n")
        stream.write("\n</details>\n")
    stream.write(f"\n<sub>values {plan['values']} · checksum `{plan['checksum']}`</sub>\n")


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

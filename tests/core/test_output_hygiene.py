"""No raw control or bidirectional character from data reaches any output format; long values are cut."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from fakes import FakeContactNow, target

from core.helpers import record_set
from reconciler.apply.steps import ChangeResult, Outcome
from reconciler.errors import Location
from reconciler.kinds.base import DesiredState
from reconciler.kinds.dataset import DesiredDataset
from reconciler.model.state import Dataset, Status
from reconciler.plan.drift import drift_report
from reconciler.planner import make_plan
from reconciler.render.drift_text import render_drift_markdown, render_drift_text
from reconciler.render.plan_text import dumps, render_markdown, render_text
from reconciler.render.progress import Reporter
from reconciler.text import shown

HOSTILE = "\x1b[2J\x9b31m\u202eevil\u2066\x00"
RAW = ("\x1b", "\x9b", "\u202e", "\u2066", "\x00")


def _outputs() -> list[str]:
    account = FakeContactNow()
    account.add_dataset(Dataset("Willtest", f"Other {HOSTILE}", Status.LIVE, 0, 0, 9))
    rows = [{"VENDOR_URN": "A-1", "FirstName": "Ann", "MobilePhone": "07700900001"}]
    account.add_dataset(
        Dataset("Willtest", "Spring", Status.HOLD, 0, 0, 4),
        [{"VENDOR_URN": "A-1", "FirstName": HOSTILE, "MobilePhone": "07700900001"}],
    )
    dataset = DesiredDataset("Dataset/spring", Location("d.yaml", 1, 1), want=Dataset("Willtest", "Spring"))
    desired = DesiredState((dataset, record_set(rows)))
    plan = make_plan(desired, target(account), now=datetime(2026, 12, 6, tzinfo=UTC)).plan
    texts = []
    for show in (False, True):
        body = plan.to_dict(show_values=show)
        for render in (render_text, render_markdown):
            stream = io.StringIO()
            render(body, stream)
            texts.append(stream.getvalue())
        texts.append(dumps(body))
        report = drift_report(plan, show_values=show)
        for render_drift in (render_drift_text, render_drift_markdown):
            stream = io.StringIO()
            render_drift(report, stream)
            texts.append(stream.getvalue())
        texts.append(dumps(report))
    return texts


def test_no_raw_control_byte_reaches_any_output_format() -> None:
    texts = _outputs()
    assert not [(n, raw) for n, text in enumerate(texts) for raw in RAW if raw in text]
    shown_values = texts[6]  # text, show_values=True
    assert '"\\x1b[2J\\x9b31m\\u202eevil\\u2066\\x00"' in shown_values
    assert (
        "Dataset [unmanaged]: 1 live objects in no manifest (Willtest, LIVE 1); the JSON plan lists each"
        in texts[0]
    )
    plan_json = json.loads(texts[2])  # the JSON is still the same value, escaped
    message = next(item["message"] for item in plan_json["observations"] if item["category"] == "unmanaged")
    assert HOSTILE in message


def test_apply_results_are_escaped_too() -> None:
    stream = io.StringIO()
    Reporter(stream).result(
        ChangeResult("RecordSet/x", Outcome.FAILED, f"1 failed {HOSTILE}", [f"K1: {HOSTILE}"])
    )
    assert not any(raw in stream.getvalue() for raw in RAW)
    assert "K1: \\x1b[2J" in stream.getvalue()


def test_long_values_are_cut_with_their_length() -> None:
    assert shown("x" * 1_000_000) == "x" * 200 + "... (1,000,000 characters)"
    assert shown("a\nb\tc") == "a\\nb\\tc"


def test_the_characters_scanned_for_in_columns_are_exactly_the_unsafe_ones() -> None:
    import polars as pl

    from reconciler.text import UNSAFE, UNSAFE_CHARS

    every = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    assert [char for char in every if UNSAFE.fullmatch(char)] == list(UNSAFE_CHARS)
    values = pl.Series([f"a{char}b" for char in every[:0x3000]] + ["plain", "é", "\t\n\r"])
    found = values.str.contains_any(list(UNSAFE_CHARS))
    assert found.to_list() == [UNSAFE.search(value) is not None for value in values.to_list()]


def test_may_hold_unsafe_finds_every_unsafe_character_in_bytes_and_nothing_else() -> None:
    """A piece's bytes are looked at before its columns: False must prove that no text cut from them holds an
    unsafe character, and True for safe text would only cost the column scan, so both are checked exactly, for
    every character up to U+3000 and a few past it: each unsafe one alone, between ASCII and between other text
    past ASCII, and the safe ones sixteen at a time."""
    from reconciler.text import UNSAFE, may_hold_unsafe

    codes = [*range(0x3000), 0xFEFF, 0x1F600, 0x10FFFF]
    chars = [chr(code) for code in codes if not 0xD800 <= code <= 0xDFFF]
    unsafe = [char for char in chars if UNSAFE.fullmatch(char)]
    safe = [char for char in chars if not UNSAFE.fullmatch(char)]
    assert len(unsafe) == 76
    for char in unsafe:
        for text in (f"a,{char},{'b' * 40}\n", f"£,é{char}€,\u2019{'x' * 120}\n" * 3):
            assert may_hold_unsafe(text.encode()) is True, hex(ord(char))
    for at in range(0, len(safe), 16):
        text = f"a,{''.join(safe[at : at + 16])},{'b' * 400}\n"
        assert may_hold_unsafe(text.encode()) is False, [hex(ord(char)) for char in safe[at : at + 16]]
    assert may_hold_unsafe(b"") is False
    assert may_hold_unsafe(b"a,b\tc\r\n") is False
    assert may_hold_unsafe("ab\u202e".encode()) is True  # at the very end
    assert may_hold_unsafe("x\u00e9".encode()) is True  # past ASCII within the last two bytes: not followed
    assert may_hold_unsafe(("\u00e9" * 10 + "\n").encode()) is True  # mostly past ASCII: not followed

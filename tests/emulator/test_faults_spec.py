"""Fault rules without a server: spec parsing, decisions, reproducibility, op classification."""

from __future__ import annotations

import email.utils

import pytest

from reconciler.emulator import build_state
from reconciler.emulator.faults import (
    Decision,
    FaultInjector,
    FaultSpec,
    FaultSpecError,
    apply_spec,
    classify,
    parse_spec,
    spec_from_mapping,
    specs_from_json,
)


def test_parse_error_spec_with_statuses_and_match() -> None:
    spec = parse_spec("error:rate=0.2:status=500,502,503:match=ecnow_records.create")
    assert spec == FaultSpec(
        kind="error", rate=0.2, statuses=(500, 502, 503), match=("ecnow_records.create",)
    )
    assert spec.to_spec() == "error:status=500,502,503:rate=0.2:match=ecnow_records.create"
    assert parse_spec(spec.to_spec()) == spec


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rate_limit:rate=0.2:retry_after=2", FaultSpec(kind="rate_limit", rate=0.2, retry_after=2.0)),
        (
            "rate_limit:rate=0.2:retry_after=http-date:2",
            FaultSpec(kind="rate_limit", rate=0.2, retry_after=2.0, http_date=True),
        ),
        (
            "commit_then_fail:rate=0.1:mode=502|drop:match=ecnow_records.create",
            FaultSpec(
                kind="commit_then_fail", rate=0.1, modes=("502", "drop"), match=("ecnow_records.create",)
            ),
        ),
        ("latency:ms=50", FaultSpec(kind="latency", ms=50.0)),
        ("reset:rate=0.05", FaultSpec(kind="reset", rate=0.05)),
        (
            "cc_item_error:rate=0.02:status=503",
            FaultSpec(kind="cc_item_error", rate=0.02, statuses=(503,), match=("cc.add",)),
        ),
        ("error", FaultSpec(kind="error", statuses=(500, 502, 503))),
        ("commit_then_fail", FaultSpec(kind="commit_then_fail", modes=("502",))),
        (
            "error:status=503:count=2:after=1:seed=7:match=/cc/*,token.get",
            FaultSpec(kind="error", statuses=(503,), count=2, after=1, seed=7, match=("/cc/*", "token.get")),
        ),
    ],
)
def test_parse_every_kind(text: str, expected: FaultSpec) -> None:
    spec = parse_spec(text)
    assert spec == expected
    assert parse_spec(spec.to_spec()) == spec


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty fault spec"),
        (
            "explode:rate=1",
            "unknown fault kind 'explode'; expected one of error, latency, rate_limit, reset, ",
        ),
        ("error:rate=1.5", "fault error: rate 1.5 is outside 0..1"),
        ("error:rate=x", "fault error: rate: expected a number, got 'x'"),
        ("error:status=200", "fault error: status '200' is not an HTTP error status (400..599)"),
        ("latency", "fault latency: ms=N is required"),
        ("latency:ms=-1", "fault latency: ms must not be negative"),
        ("rate_limit:retry_after=1.5", "fault rate_limit: retry_after in seconds must be a whole number"),
        ("commit_then_fail:mode=504", "fault commit_then_fail: mode '504' must be 502, drop or 502|drop"),
        ("reset:ms=5", "fault reset: unknown parameter(s) ms; allowed: after, count, match, rate, seed"),
        ("error:rate=0.1:rate=0.2", "fault spec 'error:rate=0.1:rate=0.2': parameter 'rate' given twice"),
        ("error:count=-1", "fault error: count must not be negative"),
    ],
)
def test_parse_errors_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(FaultSpecError) as info:
        parse_spec(text)
    assert str(info.value).startswith(message)


def test_json_forms() -> None:
    assert spec_from_mapping({"kind": "error", "rate": 0.5, "status": [502]}) == FaultSpec(
        kind="error", rate=0.5, statuses=(502,)
    )
    assert specs_from_json("latency:ms=5") == [FaultSpec(kind="latency", ms=5.0)]
    assert specs_from_json({"spec": "reset"}) == [FaultSpec(kind="reset")]
    assert specs_from_json({"specs": ["reset", {"kind": "latency", "ms": 1}]}) == [
        FaultSpec(kind="reset"),
        FaultSpec(kind="latency", ms=1.0),
    ]
    with pytest.raises(FaultSpecError, match="expected a spec string, a fault object, or a list of them"):
        specs_from_json(5)


def test_classify_ops() -> None:
    assert classify("GET", "/contactnow/token.php", {"action": "get"}) == "token.get"
    assert classify("POST", "/contactnow/ecnow.php", {"method": "ecnow_records", "action": "create"}) == (
        "ecnow_records.create"
    )
    assert classify("GET", "/contactnow/database.php", {"method": "outcomecodes", "action": "read"}) == (
        "outcomecodes.read"
    )
    assert classify("POST", "/cc/api/tstats/campaigns/125/customers", {}) == "cc.add"
    assert classify("DELETE", "/cc/api/tstats/campaigns/125/customers/10000001", {}) == "cc.delete"
    assert classify("PATCH", "/cc/api/tstats/campaigns/125", {}) == "cc.status"
    assert classify("POST", "/cc/api/tstats/campaigns/125/", {}) == "cc.status"
    assert classify("GET", "/cc/api/tstats/campaigns/125", {}) == ""
    assert classify("GET", "/cc/api/stats/campaigns/125/records.json", {}) == "cc.read"
    assert classify("GET", "/cc/api/stats/campaigns/125.json", {}) == "cc.campaign"
    assert classify("GET", "/elsewhere", {}) == ""


def _fired(injector: FaultInjector, n: int, op: str = "ecnow_records.create") -> list[bool]:
    return [injector.decide(op, "/contactnow/ecnow.php", 0.0).action is not None for _ in range(n)]


def test_same_seed_gives_the_same_faults() -> None:
    first, second, other = FaultInjector(seed=42), FaultInjector(seed=42), FaultInjector(seed=43)
    for injector in (first, second, other):
        injector.add_spec("error:rate=0.3")
    run = _fired(first, 200)
    assert run == _fired(second, 200)
    assert run != _fired(other, 200)
    assert 30 < sum(run) < 90


def test_reseed_restarts_the_sequence_and_counters() -> None:
    injector = FaultInjector(seed=1)
    injector.add_spec("error:rate=0.5")
    run = _fired(injector, 50)
    injector.reseed(1)
    assert injector.rules()[0]["seen"] == 0
    assert _fired(injector, 50) == run


def test_a_rule_only_counts_the_requests_it_matches() -> None:
    alone, mixed = FaultInjector(seed=5), FaultInjector(seed=5)
    alone.add_spec("error:rate=0.5:match=cc.add")
    mixed.add_spec("error:rate=0.5:match=cc.add")
    expected = [alone.decide("cc.add", "/cc/x", 0.0).action for _ in range(40)]
    got = []
    for _ in range(40):
        assert mixed.decide("cc.read", "/cc/y", 0.0) == Decision()
        got.append(mixed.decide("cc.add", "/cc/x", 0.0).action)
    assert got == expected


def test_count_and_after_bound_the_firing() -> None:
    injector = FaultInjector()
    injector.add_spec("error:status=503:after=2:count=3")
    assert [d.status for d in (injector.decide("x", "/x", 0) for _ in range(7))] == [
        None,
        None,
        503,
        503,
        503,
        None,
        None,
    ]
    assert injector.rules()[0] | {"spec": ""} == {
        "kind": "error",
        "rate": 1.0,
        "spec": "",
        "count": 3,
        "after": 2,
        "status": [503],
        "seen": 7,
        "fired": 3,
    }


def test_match_by_op_glob_and_path_glob() -> None:
    injector = FaultInjector()
    injector.add_spec("error:status=500:match=ecnow_records.*")
    injector.add_spec("error:status=502:match=/cc/*")
    assert injector.decide("ecnow_records.read", "/contactnow/ecnow.php", 0).status == 500
    assert injector.decide("cc.add", "/cc/api/tstats/campaigns/1/customers", 0).status == 502
    assert injector.decide("token.get", "/contactnow/token.php", 0) == Decision()


def test_latency_adds_up_and_the_first_terminal_rule_wins() -> None:
    injector = FaultInjector()
    injector.add_spec("latency:ms=10")
    injector.add_spec("rate_limit:retry_after=3")
    injector.add_spec("latency:ms=5")
    injector.add_spec("error:status=500")
    decision = injector.decide("x", "/x", 0)
    assert decision == Decision(
        delay=0.015,
        action="rate_limit",
        status=429,
        headers=(("retry-after", "3"),),
        label="latency:10ms,rate_limit:429,latency:5ms",
    )
    # The error rule was not consulted, so it drew nothing.
    assert [r["seen"] for r in injector.rules()] == [1, 1, 1, 0]


def test_retry_after_http_date_is_rounded_up() -> None:
    injector = FaultInjector()
    injector.add_spec("rate_limit:retry_after=http-date:2")
    decision = injector.decide("x", "/x", 1_700_000_000.4)
    assert decision.headers == (("retry-after", email.utils.formatdate(1_700_000_003, usegmt=True)),)
    assert decision.headers[0][1] == "Tue, 14 Nov 2023 22:13:23 GMT"


def test_commit_fault_and_item_fault() -> None:
    injector = FaultInjector()
    injector.add_spec("commit_then_fail:mode=drop:match=cc.add")
    injector.add_spec("cc_item_error:status=500:count=1")
    assert injector.decide("cc.add", "/p", 0) == Decision(commit_armed=True)
    assert injector.decide("cc.read", "/p", 0) == Decision()
    assert injector.commit_fault("cc.read", "/p") is None
    assert injector.commit_fault("cc.add", "/p") == "drop"
    assert injector.item_fault("cc.add") == 500
    assert injector.item_fault("cc.add") is None
    injector.clear()
    assert injector.rules() == []
    assert not injector.active


def test_apply_spec_takes_rules_and_settings() -> None:
    state = build_state()
    try:
        assert apply_spec(state, "token_lifetime:seconds=5") == "token_lifetime=5s"
        assert apply_spec(state, "read_lag:seconds=2.5") == "read_lag=2.5s"
        assert apply_spec(state, "reset:rate=0.5") == "reset:rate=0.5"
        assert (state.settings.token_lifetime, state.settings.read_lag) == (5.0, 2.5)
        assert [r["spec"] for r in state.faults.rules()] == ["reset:rate=0.5"]
        with pytest.raises(FaultSpecError, match="setting read_lag: expected read_lag:seconds=N"):
            apply_spec(state, "read_lag:2")
        with pytest.raises(FaultSpecError, match="setting token_lifetime: seconds must not be negative"):
            apply_spec(state, "token_lifetime:seconds=-1")
        assert apply_spec(state, "json_style:style=php") == "json_style=php"
        assert state.settings.json_style == "php"
        for wrong in ("json_style:style=tabs", "json_style:pretty", "json_style"):
            with pytest.raises(FaultSpecError) as caught:
                apply_spec(state, wrong)
            assert str(caught.value) == (
                "setting json_style: expected json_style:style=STYLE, one of compact, spaced, pretty, php"
            )
        assert state.settings.json_style == "php"
    finally:
        state.store.close()

"""Whether applying again can help: a failure the vendor refused for good is settled; a passing one is not."""

from __future__ import annotations

import pytest

from reconciler.apply.runner import ApplyReport
from reconciler.apply.steps import ChangeResult, Outcome
from reconciler.errors import ApiError, AuthError, RateLimitError, TransientApiError

REFUSED = ChangeResult(
    "CampaignMembership/a", Outcome.FAILED, "1 added; 1 members failed", ["2: not found"], refused=1
)
PASSING = ChangeResult(
    "CampaignMembership/b",
    Outcome.FAILED,
    "0 added; 1 members failed",
    ["3: failed transiently on every attempt; run apply again"],
)
APPLIED = ChangeResult("Dataset/c", Outcome.APPLIED, "updated dataset 7 (priority)")


@pytest.mark.parametrize(
    ("results", "settled", "refused"),
    [
        ([APPLIED], False, 0),
        ([APPLIED, REFUSED], True, 1),
        ([REFUSED, PASSING], False, 1),
        ([PASSING], False, 0),
    ],
)
def test_a_report_is_settled_only_when_every_failure_was_refused_for_good(
    results: list[ChangeResult], settled: bool, refused: int
) -> None:
    report = ApplyReport(results)
    assert (report.settled, report.refused()) == (settled, refused)


@pytest.mark.parametrize(
    ("error", "settled"),
    [
        (ApiError("update refused", status=400), True),
        (TransientApiError("service unavailable", status=503), False),
        (RateLimitError("slow down", retry_after=120.0), False),
        (AuthError("token refused", status=401), False),
    ],
)
def test_a_change_failed_as_a_whole_is_settled_only_by_a_refusal(error: ApiError, settled: bool) -> None:
    result = ChangeResult("Dataset/c", Outcome.FAILED, str(error), error=error)
    assert result.settled is settled


def test_a_partly_refused_change_is_not_settled() -> None:
    result = ChangeResult("RecordSet/r", Outcome.FAILED, "", ["A: refused", "B: outcome unknown"], refused=1)
    assert result.settled is False

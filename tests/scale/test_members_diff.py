"""The columnar membership diff gives exactly what a straightforward per-member diff gives.

The reference holds both sides in dicts and walks the live members one at a time, as the diff did before it
was made columnar. Random data covers statuses 0-4 (other codes are mapped to queued by the provider), members
with no schedule, an absolute one (in the past, inside the horizon, beyond it, outside the campaign window) or a
relative one, ids that differ only by a leading 0, repeated desired ids (the last one wins, in the first one's
place), repeated live ids, live members handed on one at a time or in pieces, and both absent policies. The
plain-CSV columnar source is checked against the same reference read through the row reader.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from core.helpers import membership as _membership
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.diff.members import CampaignWindow, MemberDiff, MemberWork, diff_members
from reconciler.errors import Location
from reconciler.kinds import desired_state, load_project
from reconciler.kinds.membership import DesiredMembership
from reconciler.model.schedules import RelativeSchedule
from reconciler.model.state import DesiredMember, LiveMember, LiveMembers, MemberStatus

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
IDS = ["1", "2", "02", "3", "10", "11", "12", "510456", "0", "7", "8", "9"]
WHENS = [
    None,
    NOW - timedelta(hours=1),
    NOW + timedelta(hours=2),
    NOW + timedelta(days=3),
    NOW + timedelta(days=9),
]
WINDOW = CampaignWindow(None, NOW + timedelta(days=2))
RELATIVE = RelativeSchedule("+1d 09:00+00:00", 1, time(9, 0), UTC)


@dataclass(frozen=True)
class Expected:
    removes: list[str]
    reschedules: list[DesiredMember]
    adds: list[DesiredMember]
    statuses: dict[str, int]
    stuck: dict[str, int]
    unmanaged: int
    digest: str


def reference(
    members: Sequence[DesiredMember], live: Sequence[LiveMember], *, remove_absent: bool
) -> Expected:
    wanted = {member.customer_id: member for member in members}
    removes: list[str] = []
    reschedules: list[DesiredMember] = []
    stuck: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    unmanaged = 0
    digest = hashlib.sha256()
    for member in live:
        statuses[member.status.label] += 1
        digest.update(f"{member.customer_id}\x1e".encode())
        want = wanted.get(member.customer_id)
        if want is None:
            unmanaged += 1
            if remove_absent and member.status.removable:
                removes.append(member.customer_id)
            elif remove_absent:
                stuck[member.status.label] += 1
            continue
        if isinstance(want.schedule, RelativeSchedule):
            continue
        unscheduled = member.status is MemberStatus.NEW and want.schedule is not None
        if not unscheduled and not (member.status is MemberStatus.SCHEDULED and want.schedule is None):
            continue
        reschedules.append(want)
        digest.update(f"{member.customer_id}:{member.status.value}\x1d".encode())
    present = {member.customer_id for member in live}
    adds = [member for customer, member in wanted.items() if customer not in present]
    for target in sorted(
        {m.customer_id: m for m in (*adds, *reschedules)}.values(), key=lambda m: m.customer_id
    ):
        when = _resolved(target)
        if when is not None:
            digest.update(f"{target.customer_id}@{when.isoformat()}".encode())
    return Expected(
        removes, reschedules, adds, dict(statuses), dict(stuck), unmanaged, digest.hexdigest()[:32]
    )


def _resolved(member: DesiredMember) -> datetime | None:
    return member.schedule.resolve(NOW) if isinstance(member.schedule, RelativeSchedule) else member.schedule


def check(result: MemberDiff, expected: Expected, *, remove_absent: bool, live_rows: int) -> None:
    assert result.live_rows == live_rows
    assert result.live_digest == expected.digest
    work = result.change.work if result.change is not None else None
    assert isinstance(work, MemberWork | None)
    removes = list(work.removes) if work else []
    adds = list(work.adds) if work else []
    assert removes == expected.removes + [member.customer_id for member in expected.reschedules]
    assert adds == expected.reschedules + expected.adds
    counts = {
        "add": len(expected.adds),
        "remove": len(expected.removes),
        "reschedule": len(expected.reschedules),
    }
    assert (dict(result.change.counts) if result.change else {}) == {k: v for k, v in counts.items() if v}
    data = {observation.category: dict(observation.counts) for observation in result.observations}
    assert data.get("churn", {}) == expected.statuses
    assert data.get("not-removable", {}) == expected.stuck
    assert data.get("unmanaged") == (
        {"members": expected.unmanaged} if expected.unmanaged and not remove_absent else None
    )
    targets = [*expected.adds, *expected.reschedules]
    whens = [_resolved(member) for member in targets]
    assert [problem.reason.split(" ")[1] for problem in result.problems] == [
        when.isoformat() for when in whens if when is not None and not NOW < when <= NOW + timedelta(days=2)
    ]
    when_of = {member.customer_id: when for member, when in zip(targets, whens, strict=True)}
    assert set(work.resolved if work else {}) == {c for c, w in when_of.items() if w is not None}


desired_members = st.lists(st.tuples(st.sampled_from(IDS), st.sampled_from([*WHENS, RELATIVE])), max_size=14)
live_members = st.lists(
    st.tuples(st.sampled_from([*IDS, "99", "099"]), st.sampled_from(list(MemberStatus))), max_size=16
)


def _pieces(live: Sequence[LiveMember], cuts: Sequence[int]) -> list[LiveMember | LiveMembers]:
    out: list[LiveMember | LiveMembers] = []
    start = 0
    for cut in sorted({min(cut, len(live)) for cut in cuts}):
        chunk = live[start:cut]
        out.append(LiveMembers([m.customer_id for m in chunk], [int(m.status.value) for m in chunk]))
        start = cut
    out.extend(live[start:])
    return out


@settings(max_examples=300, deadline=None)
@given(desired_members, live_members, st.booleans(), st.lists(st.integers(0, 16), max_size=3))
def test_columnar_member_diff_is_the_reference_diff(
    wanted: list[tuple[str, object]],
    live: list[tuple[str, MemberStatus]],
    remove_absent: bool,
    cuts: list[int],
) -> None:
    members = [
        DesiredMember(customer, when, Location("m.csv", line, 1))  # type: ignore[arg-type]
        for line, (customer, when) in enumerate(wanted, start=2)
    ]
    live_rows = [LiveMember(customer, status) for customer, status in live]
    expected = reference(members, live_rows, remove_absent=remove_absent)
    membership = _membership(members, remove_absent=remove_absent)
    for given_live in (live_rows, _pieces(live_rows, cuts)):
        result = diff_members(membership, given_live, now=NOW, window=WINDOW)  # type: ignore[arg-type]
        check(result, expected, remove_absent=remove_absent, live_rows=len(live_rows))


def _project(root: Path, lines: list[str], remove_absent: bool) -> DesiredMembership:
    (root / "manifests").mkdir(parents=True, exist_ok=True)
    (root / "reconciler.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: Project\nmanifests: [manifests]\n"
        "targets:\n  t:\n    contactCenter: {baseUrl: 'http://127.0.0.1:9/cc', tenantEnv: T, tokenEnv: K}\n"
    )
    (root / "manifests" / "members.csv").write_text(
        "customer-id,schedule\n" + "".join(f"{line}\n" for line in lines)
    )
    absent = "remove" if remove_absent else "ignore"
    (root / "manifests" / "members.yaml").write_text(
        "apiVersion: reconciler/v1\nkind: CampaignMembership\nmetadata: {name: winback}\n"
        f"spec: {{campaign: 125, source: members.csv, absent: {absent}}}\n"
    )
    return desired_state(load_project(root, check_sources=False)).of(DesiredMembership)[0]


SCHEDULE_TEXTS = [
    "",
    "+1d 09:00+00:00",
    "2026-03-02T14:00:00+00:00",
    "2026-03-05T10:00:00+00:00",
    "2026-03-01T10:00:00+00:00",
]


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(IDS), st.sampled_from(SCHEDULE_TEXTS)),
        max_size=12,
        unique_by=lambda x: x[0],
    ),
    live_members,
    st.booleans(),
)
def test_plain_csv_source_gives_the_row_reader_result(
    wanted: list[tuple[str, str]], live: list[tuple[str, MemberStatus]], remove_absent: bool
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        membership = _project(Path(directory), [f"{c},{s}" for c, s in wanted], remove_absent)
        assert callable(getattr(membership.source, "frame", None))
        members = list(membership.source.iter_members())
        live_rows = [LiveMember(customer, status) for customer, status in live]
        expected = reference(members, live_rows, remove_absent=remove_absent)
        result = diff_members(membership, live_rows, now=NOW, window=WINDOW)
        check(result, expected, remove_absent=remove_absent, live_rows=len(live_rows))
        assert [
            m.location
            for m in (
                result.change.work.adds
                if result.change and isinstance(result.change.work, MemberWork)
                else ()
            )
        ] == [m.location for m in (*expected.reschedules, *expected.adds)]

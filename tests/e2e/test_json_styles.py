"""The same plan whatever JSON layout the vendor writes (#13 item 4).

The emulator's json_style setting changes how every answer of both APIs is laid out and escaped (compact, spaced,
pretty, php), never what it holds, so the plan document, changes, counts and live digests included, is the same
under each. With `small` pieces every body reaches the client in chunks of 512 bytes and the readers cut records
and members into pieces of a few KB (their piece size, set through the readers' keyword defaults), so the cutting
of each layout is part of the run.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest
from harness.project import Project
from providers.provider_fakes import ChunkStream
from support import COMPLETE, dataset_doc, membership_doc, record_set_doc

from reconciler.emulator import SyncAsgiTransport
from reconciler.emulator.jsonstyle import STYLES
from reconciler.emulator.view import Member
from reconciler.providers.contactcenter.client import ContactCenterClient
from reconciler.providers.contactnow.records import RecordReader
from reconciler.providers.http.body import ArrayPieces

TEXT = ("Zoë", "李小龍 😀", "a/b\\c", 'say "hi"', "}, {", "O'Brien", "", "  x  ", "𝄞 music")
"""Values each layout writes differently: non-ASCII (past U+FFFF too), slashes, quotes, a seam."""


def _source(count: int, *, changed: int = 0) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["VENDOR_URN", "FirstName", "MobilePhone", "Testy"])
    for n in range(count):
        name = TEXT[n % len(TEXT)] + ("!" if n < changed else "")
        writer.writerow([f"U{n:04d}", name, f"07700{n:06d}", TEXT[(n + 3) % len(TEXT)]])
    return out.getvalue()


def _setup(project: Project, count: int, *, changed: int = 0, members: int = 30) -> None:
    project.write(
        "manifests/spring.yaml",
        dataset_doc()
        + record_set_doc(fields="[FirstName, MobilePhone, Testy]", source="records.csv", absent=COMPLETE)
        + membership_doc(source="members.csv", absent="remove"),
    )
    project.write("manifests/records.csv", _source(count, changed=changed))
    customers = [str(10_000_001 + n) for n in range(0, 2 * members, 2)]
    project.write("manifests/members.csv", "customer-id\n" + "\n".join(customers) + "\n")


@pytest.mark.parametrize("pieces", ["whole", "small"])
def test_every_json_style_gives_the_same_plan(
    project: Project, monkeypatch: pytest.MonkeyPatch, pieces: str
) -> None:
    _setup(project, 240)
    applied = project.cli("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.stdout + applied.stderr
    _setup(project, 220, changed=25, members=33)
    project.view.add_customers((10_000_001 + n, f"0207946{n:04d}") for n in range(30, 70))
    project.view.add_members(125, (Member(10_000_001 + n, status=n % 2) for n in range(1, 60, 6)))
    if pieces == "small":
        handle = SyncAsgiTransport.handle_request

        def in_chunks(self: SyncAsgiTransport, request: httpx.Request) -> httpx.Response:
            response = handle(self, request)
            body = response.content
            chunks = iter([body[at : at + 512] for at in range(0, len(body), 512)])
            return httpx.Response(
                response.status_code, headers=response.headers, stream=ChunkStream(chunks), request=request
            )

        monkeypatch.setattr(SyncAsgiTransport, "handle_request", in_chunks)
        kwdefaults: Any = RecordReader.read.__kwdefaults__
        monkeypatch.setitem(kwdefaults, "piece_bytes", 2048)
        kwdefaults = ContactCenterClient.iter_member_columns.__kwdefaults__
        monkeypatch.setitem(kwdefaults, "piece_bytes", 1024)
    cuts: list[int] = []
    cut = ArrayPieces._cut

    def counted(self: ArrayPieces[Any], buffer: bytearray, fill: int) -> tuple[Any, int]:
        value, used = cut(self, buffer, fill)
        cuts[-1] += value is not None
        return value, used

    monkeypatch.setattr(ArrayPieces, "_cut", counted)

    plans: dict[str, Any] = {}
    for style in STYLES:
        project.state.settings.json_style = style
        mark = project.mark()
        cuts.append(0)
        result = project.cli("plan", "--format", "json", "--show-values")
        assert result.exit_code == 0, result.stderr
        assert {entry.op for entry in project.log(mark)} >= {"ecnow_records.read", "cc.read"}
        plans[style] = json.loads(result.stdout)

    counts = {change["address"]: change.get("counts") for change in plans["compact"]["changes"]}
    assert counts == {
        "RecordSet/spring-records": {"update": 25, "complete": 20, "unchanged": 195},
        "CampaignMembership/winback": {"add": 3, "remove": 10},
    }
    for style in STYLES:
        assert plans[style] == plans["compact"], style
    if pieces == "small":
        assert min(cuts) >= 10, cuts

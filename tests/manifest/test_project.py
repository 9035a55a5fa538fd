"""reconciler.yaml, targets, file discovery and the Project API."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.errors import Location
from reconciler.kinds import load_project
from reconciler.kinds.dataset import DatasetManifest
from reconciler.kinds.membership import MembershipManifest
from reconciler.kinds.recordset import RecordSetManifest
from reconciler.model.state import Guard

from .helpers import DATASET, problems, record_set, write

PROJECT = "apiVersion: reconciler/v1\nkind: Project\n"


def test_without_a_project_file_everything_defaults(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": DATASET})
    project = load_project(tmp_path)
    assert project.root == tmp_path
    assert project.config.manifests == (".",)
    assert project.config.default_target == "emulator"
    assert project.config.guards == Guard(30.0, 10)
    assert project.config.targets == {}
    assert project.config.target_names == ["emulator"]
    assert project.config.file is None


def test_targets_resolve_urls_and_keep_only_variable_names(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "reconciler.yaml": PROJECT
            + "defaultTarget: prod\n"
            + "guards: {maxPercent: 12.5}\n"
            + "targets:\n"
            + "  prod:\n"
            + "    contactnow: {region: us, usernameEnv: CN_USER, passwordEnv: CN_PASS}\n"
            + "    contactCenter: {platform: na12, tenantEnv: CC_TENANT, tokenEnv: CC_TOKEN}\n"
            + "  eu:\n"
            + "    contactnow: {region: eu, usernameEnv: U, passwordEnv: P}\n"
            + "  custom:\n"
            + "    contactCenter: {baseUrl: 'https://odcc2.bell.ca', tenantEnv: T, tokenEnv: K}\n"
            + "  local:\n"
            + "    contactnow: {baseUrl: 'http://127.0.0.1:8080/contactnow/', usernameEnv: U, passwordEnv: P}\n"
            + "  lab:\n"
            + "    allowInsecureHttp: yes\n"
            + "    contactnow: {baseUrl: 'http://lab.example.com/', usernameEnv: U, passwordEnv: P}\n",
            "a.yaml": DATASET,
        },
    )
    config = load_project(tmp_path).config
    assert config.default_target == "prod"
    assert config.guards == Guard(12.5, 10)
    targets = config.targets
    assert config.target_names == ["custom", "emulator", "eu", "lab", "local", "prod"]
    prod = targets["prod"]
    assert prod.contactnow is not None and prod.contact_center is not None
    assert (prod.contactnow.url, prod.contactnow.username_env, prod.contactnow.password_env) == (
        "https://api.contactnow.8x8.com/api/",
        "CN_USER",
        "CN_PASS",
    )
    assert (prod.contact_center.url, prod.contact_center.tenant_env, prod.contact_center.token_env) == (
        "https://vcc-na12.8x8.com",
        "CC_TENANT",
        "CC_TOKEN",
    )
    assert not prod.allow_insecure_http
    assert targets["eu"].contactnow is not None
    assert targets["eu"].contactnow.url == "https://api-106.dxi.eu/"
    assert targets["eu"].contact_center is None
    assert targets["custom"].contactnow is None
    assert targets["custom"].contact_center is not None
    assert targets["custom"].contact_center.url == "https://odcc2.bell.ca"
    assert targets["local"].contactnow is not None
    assert targets["local"].contactnow.url == "http://127.0.0.1:8080/contactnow/"
    assert targets["lab"].allow_insecure_http is True
    assert config.location_of("targets.prod.contactnow.region") == Location(
        f"{tmp_path}/reconciler.yaml", 7, 26
    )


def test_project_file_problems(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "reconciler.yaml": PROJECT
            + "manifests: [../elsewhere]\n"
            + "guards: {maxPercent: 150, minRows: -1}\n"
            + "targets:\n"
            + "  prod:\n"
            + "    contactnow: {region: mars, baseUrl: 'ftp://x', usernameEnv: U, passwordEnv: P}\n"
            + "    contactCenter: {baseUrl: 'https://user:pw@vcc-na1.8x8.com', tenantEnv: T, tokenEnv: K}\n"
            + "    apiToken: abc\n"
            + "  Bad_Name: {contactnow: {region: eu, usernameEnv: U, passwordEnv: P}}\n",
        },
    )
    f = f"{tmp_path}/reconciler.yaml"
    assert problems(tmp_path) == [
        f'{f}:3:13: manifest directory "../elsewhere" leads outside the project root '
        "(keep manifests inside the project directory)",
        f"{f}:4:22: guards.maxPercent 150 is above 100 (use 0 to 100)",
        f"{f}:4:36: guards.minRows -1 is below 0",
        f'{f}:7:26: contactnow.region "mars" is not one of eu, us',
        f"{f}:7:41: contactnow.baseUrl is not an http(s) URL (write e.g. https://api-106.dxi.eu/)",
        f"{f}:8:30: contactCenter.baseUrl must not contain credentials (remove the user:password@ part; credentials "
        "come from the environment variables named here)",
        f'{f}:9:5: "apiToken" would put a credential in the file (remove it and name the environment variable that '
        "holds it instead, e.g. tokenEnv: CC_TOKEN)",
        f"{f}:10:3: target name \"Bad_Name\" is not a valid name (use 1 to 63 lowercase letters, digits, '.', '_' "
        "or '-', starting with a letter or digit)",
    ]


def test_manifest_directories_outside_the_root_are_refused(tmp_path: Path) -> None:
    write(tmp_path, {"reconciler.yaml": PROJECT + "manifests: [../elsewhere, /etc, missing]\n"})
    f = f"{tmp_path}/reconciler.yaml"
    assert problems(tmp_path) == [
        f'{f}:3:13: manifest directory "../elsewhere" leads outside the project root '
        "(keep manifests inside the project directory)",
        f"{f}:3:27: manifest directory must be a relative path "
        "(name a directory relative to the project root, e.g. manifests)",
        f'{f}:3:33: manifest directory "missing" not found (create it, or fix manifests in reconciler.yaml)',
    ]


def test_discovery_skips_hidden_and_project_file_and_finds_yml(tmp_path: Path) -> None:
    other = DATASET.replace("spring", "autumn").replace("Spring", "Autumn")
    write(
        tmp_path,
        {
            "reconciler.yaml": PROJECT,
            "nested/deeper/a.yml": DATASET,
            "b.YAML": other,
            ".reconciler/state.yaml": "not: [valid",
            ".hidden.yaml": "not: [valid",
            "notes.txt": "not yaml",
            "empty.yaml": "",
            "comments.yaml": "# nothing here\n---\n---\n",
        },
    )
    project = load_project(tmp_path)
    assert [d.address for d in project.of(DatasetManifest)] == ["Dataset/autumn", "Dataset/spring"]
    assert project.of(DatasetManifest)[1].file == tmp_path / "nested" / "deeper" / "a.yml"


def test_a_missing_project_directory(tmp_path: Path) -> None:
    assert problems(tmp_path / "nope") == [f"{tmp_path}/nope: project directory not found (name a directory)"]


def test_location_of_spec_fields_falls_back_to_the_document(tmp_path: Path) -> None:
    write(tmp_path, {"a.yaml": DATASET + "  priority: 5\n"})
    dataset = load_project(tmp_path).of(DatasetManifest)[0]
    f = f"{tmp_path}/a.yaml"
    assert dataset.location == Location(f, 4, 9)
    assert dataset.location_of("spec.priority") == Location(f, 8, 13)
    assert dataset.location_of("spec.queue") == Location(f, 6, 3)  # not written: the spec
    assert dataset.location_of("nothing.here") == Location(f, 4, 9)
    assert dataset.address == "Dataset/spring"
    assert dataset.kind == "Dataset"


def test_text_is_coerced_only_where_the_model_wants_numbers(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": DATASET.replace("Spring renewals", "'007'")
            + "  priority: '10'\n  queue: Sales outbound\n  id: 351\n"
            + record_set(
                "  rows:\n    - {VENDOR_URN: 00042, FirstName: 1.50, MobilePhone: '07700900001'}\n"
                "  absent: {policy: complete, outcome: 510456}\n  dedupe: {policy: complete, outcome: '510456'}\n"
            ),
        },
    )
    project = load_project(tmp_path)
    spec = project.of(DatasetManifest)[0].spec
    assert (spec.description, spec.priority, spec.queue, spec.id) == ("007", 10, "Sales outbound", 351)
    record = project.of(RecordSetManifest)[0]
    assert record.spec.absent.outcome == 510456
    assert record.spec.dedupe.policy == "complete"
    assert [row.values for row in record.iter_rows()] == [
        {"VENDOR_URN": "00042", "FirstName": "1.50", "MobilePhone": "07700900001"}
    ]


def test_inline_row_problems_never_echo_personal_values(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "a.yaml": DATASET
            + record_set(
                "  rows:\n"
                "    - {VENDOR_URN: A-1, FirstName: [Secretname], MobilePhone: 'not-a-phone-Secret'}\n"
                "    - {VENDOR_URN: A-1, FirstName: Secretname, MobilePhone: 07700900999, Nickname: Secret}\n"
            ),
        },
    )
    found = problems(tmp_path)
    assert len(found) == 5
    assert all("Secret" not in line and "07700900999" not in line for line in found)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ("[{customer-id: 12x}]", "customer-id is not a CRM customer id"),
        ("[{customer-id: ''}]", "customer-id is empty"),
        ("[{schedule: '+1d 09:00Z'}]", 'missing required field "customer-id"'),
        ("[{customer-id: 1, extra: 2}]", 'unknown field "extra"'),
    ],
)
def test_member_problems(tmp_path: Path, members: str, expected: str) -> None:
    write(
        tmp_path,
        {
            "m.yaml": "apiVersion: reconciler/v1\nkind: CampaignMembership\nmetadata: {name: m}\n"
            f"spec:\n  campaign: 125\n  members: {members}\n"
        },
    )
    found = problems(tmp_path)
    assert len(found) == 1
    assert found[0].split(": CampaignMembership/m: ")[1].startswith(expected)


def test_member_sources(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "m.yaml": "apiVersion: reconciler/v1\nkind: CampaignMembership\nmetadata: {name: m}\n"
            "spec: {campaign: 125, source: m.jsonl}\n",
            "m.jsonl": '{"customer-id": 10000001}\n{"customer-id": "0042", "schedule": "2026-11-25T09:00:00Z"}\n'
            '{"customer-id": 10000003, "schedule": ""}\n',
        },
    )
    members = list(load_project(tmp_path).of(MembershipManifest)[0].iter_members())
    assert [(m.customer_id, m.schedule.text if m.schedule else None) for m in members] == [
        ("10000001", None),
        ("0042", "2026-11-25T09:00:00Z"),
        ("10000003", None),
    ]
    (tmp_path / "m.jsonl").write_text(
        '{"customer-id": 1.5}\n{"schedule": "+1d 09:00Z"}\n{"customer-id": 7, "schedule": "soon"}\n'
        '{"customer-id": 8}\n{"customer-id": 8}\n'
    )
    f = f"{tmp_path}/m.jsonl"
    assert problems(tmp_path) == [
        f"{f}:1:1: CampaignMembership/m: customer-id is not a CRM customer id (use the customer's id in the CRM: "
        "digits only)",
        f"{f}:2:1: CampaignMembership/m: member has no customer-id (give the CRM customer id (digits) on every line)",
        f'{f}:3:1: CampaignMembership/m: schedule "soon" is not an ISO 8601 date-time '
        '(write "2026-11-25T09:00:00+00:00", "+2d 09:00+00:00" or "+1d 09:00 local")',
        f'{f}:5:1: CampaignMembership/m: duplicate customer-id "8"; it first appears at line 4 '
        "(each customer-id may appear once in a source)",
    ]


def test_many_row_problems_are_capped(tmp_path: Path) -> None:
    rows = "".join(f"K{i},Name\n" for i in range(150))
    write(
        tmp_path,
        {"a.yaml": DATASET + record_set("  source: r.csv\n"), "r.csv": "VENDOR_URN,FirstName,MobilePhone\n"},
    )
    (tmp_path / "r.csv").write_text("VENDOR_URN,FirstName,MobilePhone\n" + rows.replace("Name\n", "Name,\n"))
    found = problems(tmp_path)
    assert len(found) == 101
    assert found[-1] == (
        f"{tmp_path}/r.csv:102:1: RecordSet/spring-records: 50 more problems from here on are not listed "
        "(fix the ones listed and validate again)"
    )


def test_the_status_change_method_and_token_are_chosen_per_target(tmp_path: Path) -> None:
    """The vendor's documents disagree on how a campaign status change is sent: the OpenAPI document's PATCH with
    the action token is the default; a target may choose POST, and the data token."""
    from reconciler.errors import ConfigError
    from reconciler.settings import Settings
    from reconciler.targets import connection

    block = "{baseUrl: 'https://vcc-na12.8x8.com', tenantEnv: T, tokenEnv: K"
    write(
        tmp_path,
        {
            "reconciler.yaml": PROJECT
            + "targets:\n"
            + f"  plain:\n    contactCenter: {block}}}\n"
            + f"  action:\n    contactCenter: {block}, actionTokenEnv: A, dataTokenEnv: D}}\n"
            + f"  page:\n    contactCenter: {block}, dataTokenEnv: D, statusChange: {{method: POST, token: data}}}}\n"
            + f"  unset:\n    contactCenter: {block}, actionTokenEnv: MISSING}}\n",
            "a.yaml": DATASET,
        },
    )
    config = load_project(tmp_path).config
    settings = Settings.from_env({"T": "tenant", "K": "token", "A": "action", "D": "data"})
    chosen = {}
    for name in ("plain", "action", "page"):
        endpoint = connection(config, name, settings).contact_center
        assert endpoint is not None and endpoint.secret == "token"
        chosen[name] = (endpoint.status_method, endpoint.status_secret)
    assert chosen == {"plain": ("PATCH", None), "action": ("PATCH", "action"), "page": ("POST", "data")}
    with pytest.raises(ConfigError, match="environment variable MISSING"):
        connection(config, "unset", settings)

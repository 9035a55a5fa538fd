"""TLS (#5 item 15): HTTPS is verified, plain http is refused off loopback, nothing turns verification off.

A self-signed certificate for 127.0.0.1 is made with the `openssl` command line (the `cryptography` package is
not installed) and the emulator is served with it over HTTPS on 127.0.0.1. Without the certificate in the trust
store the run fails at once with a clear certificate error (no retries); with SSL_CERT_FILE naming it (the
documented way to trust a private CA) the same run succeeds.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from harness.project import Project, Served
from support import dataset_doc

from reconciler.emulator import build_state, create_app
from reconciler.emulator.state import EmulatorState

REPO = Path(__file__).resolve().parents[2]
DATASET = dataset_doc()

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")


def make_certificate(directory: Path, names: str) -> tuple[Path, Path]:
    key, cert = directory / "key.pem", directory / "cert.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=reconciler-test", "-addext",
            f"subjectAltName={names}",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return key, cert


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        return None


def serve_tls(state: EmulatorState, key: Path, cert: Path, host: str = "127.0.0.1") -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(state),
        host=host,
        port=port,
        ssl_keyfile=str(key),
        ssl_certfile=str(cert),
        lifespan="off",
        log_level="critical",
        access_log=False,
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert server.started
    try:
        yield f"https://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextlib.contextmanager
def tls_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, names: str
) -> Iterator[tuple[Project, Path]]:
    """A project whose `local` target is an emulator served over HTTPS with a new certificate for `names`."""
    key, cert = make_certificate(tmp_path, names)
    state = build_state()
    try:
        for base_url in serve_tls(state, key, cert):
            project = Project.create(tmp_path / "project", state, Served(base_url), monkeypatch)
            project.write("manifests/spring.yaml", DATASET)
            yield project, cert
    finally:
        state.store.close()


@pytest.fixture
def tls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Project, Path]]:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with tls_project(tmp_path, monkeypatch, "IP:127.0.0.1") as opened:
        yield opened


def test_https_with_an_untrusted_certificate_fails_clearly_then_works_with_ssl_cert_file(
    tls: tuple[Project, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    project, cert = tls
    mark = project.mark()
    server = urlsplit(project.base_url)
    connects: list[object] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if address[:2] == (server.hostname, server.port):
            connects.append(address)
        real_connect(self, address)

    with monkeypatch.context() as patched:
        patched.setattr(socket.socket, "connect", connect)
        refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "Error: ContactNow token.get: the server's TLS certificate was not accepted (self-signed "
        "certificate); check the base URL, or, if the service uses a private certificate authority, point "
        f"SSL_CERT_FILE at that CA's bundle [{project.base_url}/contactnow/token.php]\n"
    )
    assert len(connects) == 1, "a certificate failure is not retried"
    assert project.log(mark) == [], "no request got past the handshake"

    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    trusted = project.cli("apply", "--auto-approve")
    assert trusted.exit_code == 0, trusted.stdout + trusted.stderr
    assert [dataset.description for dataset in project.view.datasets()] == ["Spring 2026"]


def test_a_certificate_for_another_host_is_refused_even_when_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with tls_project(tmp_path, monkeypatch, "DNS:api.example.test") as (project, cert):
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        refused = project.cli("plan")
        assert refused.exit_code == 1
        assert (
            "the server's TLS certificate was not accepted (IP address mismatch, certificate is not valid for "
            "'127.0.0.1'.)" in refused.stderr
        )


HTTP_PROJECT = """apiVersion: reconciler/v1
kind: Project
defaultTarget: remote
targets:
  remote:
    {insecure}contactnow: {{baseUrl: "{url}", usernameEnv: CN_USER, passwordEnv: CN_PASS}}
"""


@pytest.mark.parametrize(
    "url",
    [
        "http://api-106.dxi.eu/",
        "http://192.0.2.2:1/contactnow/",
        "http://127.0.0.1.nip.io/",
        "http://localhost.example.com/",
        "http://[::ffff:127.0.0.1]/",
        "http://0x7f000001/",
        "HTTP://EXAMPLE.COM/",
    ],
)
def test_plain_http_to_a_host_that_is_not_loopback_is_refused(
    project: Project, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    project.write("reconciler.yaml", HTTP_PROJECT.format(insecure="", url=url))
    project.write("manifests/spring.yaml", DATASET)
    connects: list[object] = []
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        connects.append(address)
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    refused = project.cli("plan")
    assert refused.exit_code == 1
    assert refused.stderr == (
        f"Error: invalid manifests: 1 problem\n  {project.root}/reconciler.yaml:5:3: target remote uses plain http:// to a "
        "host that is not loopback (use https://, or set allowInsecureHttp: true on this target if you really mean "
        "it)\n"
    )
    assert connects == [], "nothing is sent before the URL is refused"


def test_allow_insecure_http_lets_a_trusted_network_use_plain_http(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """192.0.2.2 is this machine's non-loopback address here; skipped where there is none to bind."""
    address = _non_loopback_address()
    if address is None:
        pytest.skip("no non-loopback address to bind")
    state = build_state()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind((address, 0))
    port = sock.getsockname()[1]
    server = _Server(
        uvicorn.Config(create_app(state), host=address, port=port, lifespan="off", log_level="critical")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        time.sleep(0.01)
    try:
        project = Project.create(tmp_path / "project", state, Served(f"http://{address}:{port}"), monkeypatch)
        project.write("manifests/spring.yaml", DATASET)
        url = f"http://{address}:{port}/contactnow/"
        project.write("reconciler.yaml", HTTP_PROJECT.format(insecure="", url=url))
        assert project.cli("plan").exit_code == 1
        project.write(
            "reconciler.yaml", HTTP_PROJECT.format(insecure="allowInsecureHttp: true\n    ", url=url)
        )
        allowed = project.cli("apply", "--auto-approve")
        assert allowed.exit_code == 0, allowed.stdout + allowed.stderr
        assert [dataset.description for dataset in project.view.datasets()] == ["Spring 2026"]
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
        state.store.close()


def _non_loopback_address() -> str | None:
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        address = str(probe.getsockname()[0])
    except OSError:
        return None
    finally:
        probe.close()
    return None if address.startswith("127.") else address


DISABLING = [
    r"verify\s*=\s*False",
    r"CERT_NONE",
    r"check_hostname\s*=\s*False",
    r"_create_unverified_context",
    r"PYTHONHTTPSVERIFY",
    r"verify\s*=\s*(?!True\b|_tls_context\(self\.base_url\.scheme\))[A-Za-z_]",
]


def test_no_code_path_can_disable_certificate_verification() -> None:
    offending = []
    for path in sorted((REPO / "reconciler").rglob("*.py")):
        text = path.read_text()
        for pattern in DISABLING:
            for match in re.finditer(pattern, text):
                line = text.count("\n", 0, match.start()) + 1
                offending.append(f"{path.relative_to(REPO)}:{line}: {match.group(0)}")
    assert offending == []
    http = (REPO / "reconciler/providers/http/session.py").read_text()
    assert http.count("verify=_tls_context(self.base_url.scheme)") == 1
    assert "httpx.Client(" in http
    clients = [
        str(path.relative_to(REPO))
        for path in sorted((REPO / "reconciler").rglob("*.py"))
        if re.search(r"httpx\.(Client|AsyncClient|HTTPTransport)\(", path.read_text())
    ]
    assert clients == ["reconciler/providers/http/session.py"], "every client is built in one place, verified"

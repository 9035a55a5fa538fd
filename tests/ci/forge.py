"""A stand-in for the two comment APIs the CI examples call: GitHub issue comments and GitLab merge-request
notes. It keeps comments in memory and records each call, so a test can see that a plan comment is created
once and then updated in place."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_GITHUB_LIST = re.compile(r"^/repos/[^/]+/[^/]+/issues/(\d+)/comments$")
_GITHUB_ONE = re.compile(r"^/repos/[^/]+/[^/]+/issues/comments/(\d+)$")
_GITLAB_LIST = re.compile(r"^/api/v4/projects/[^/]+/merge_requests/(\d+)/notes$")
_GITLAB_ONE = re.compile(r"^/api/v4/projects/[^/]+/merge_requests/(\d+)/notes/(\d+)$")


@dataclass
class Forge:
    url: str = ""
    comments: dict[int, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, str]] = field(default_factory=list)
    auth: list[str] = field(default_factory=list)


@contextmanager
def running_forge() -> Iterator[Forge]:
    forge = Forge()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _handle(self) -> None:
            path = self.path.split("?", 1)[0]
            with lock:
                forge.calls.append((self.command, path))
                forge.auth.append(
                    self.headers.get("Authorization") or self.headers.get("PRIVATE-TOKEN") or ""
                )
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length)) if length else {}
                listing = _GITHUB_LIST.match(path) or _GITLAB_LIST.match(path)
                one = _GITHUB_ONE.match(path) or _GITLAB_ONE.match(path)
                if listing and self.command == "GET":
                    self._answer(200, list(forge.comments.values()))
                elif listing and self.command == "POST":
                    comment = {"id": 1000 + len(forge.comments), "body": payload["body"]}
                    forge.comments[comment["id"]] = comment
                    self._answer(201, comment)
                elif one and self.command in {"PATCH", "PUT"}:
                    comment = forge.comments[int(one.groups()[-1])]
                    comment["body"] = payload["body"]
                    self._answer(200, comment)
                else:
                    self._answer(404, {"message": "Not Found"})

        do_GET = do_POST = do_PATCH = do_PUT = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    forge.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

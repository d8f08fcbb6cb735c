"""A scripted OpenAI-compatible server on 127.0.0.1, for tests and benchmarks.

Real HTTP, real ``openai`` client, exact responses: enqueue what the server
should answer (a completion, an HTTP error, a delay, a dropped connection, a
malformed body…) or install a function that answers from the request; every
request is recorded with its headers and JSON body.

    with ScriptedServer() as server:
        server.enqueue(Reply.completion('{"actors": [], ...}'))
        claimx.extract(text, model="openai/test", base_url=server.base_url)
        assert server.requests[0].json["model"] == "test"

Like ``simonw/llm``'s ``MockModel.enqueue()`` and inspect_ai's ``mockllm``, but
over a socket, so retries, timeouts and the SDK's parsing are exercised too.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["RecordedRequest", "Reply", "ScriptedServer", "chat_completion"]


def chat_completion(
    content: str | None,
    *,
    model: str = "scripted",
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    refusal: str | None = None,
) -> dict[str, Any]:
    """An OpenAI chat-completion body carrying ``content``."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False  # send headers and half the body, then close the connection

    @classmethod
    def completion(cls, content: str | dict[str, Any], *, delay_s: float = 0.0, **kwargs: Any) -> Reply:
        """A successful completion whose message content is ``content`` (JSON-encoded if a dict)."""
        text = content if isinstance(content, str) else json.dumps(content)
        return cls.json(chat_completion(text, **kwargs), delay_s=delay_s)

    @classmethod
    def json(
        cls, payload: Any, *, status: int = 200, delay_s: float = 0.0, headers: dict[str, str] | None = None
    ) -> Reply:
        """Any JSON body."""
        return cls(
            status=status, body=json.dumps(payload).encode(), headers=dict(headers or {}), delay_s=delay_s
        )

    @classmethod
    def error(
        cls, status: int, message: str = "scripted error", *, headers: dict[str, str] | None = None
    ) -> Reply:
        """An OpenAI-style error body with this HTTP status."""
        body = {"error": {"message": message, "type": "scripted", "code": status}}
        return cls.json(body, status=status, headers=headers)


@dataclass
class RecordedRequest:
    """What the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None


Responder = Callable[[RecordedRequest], Reply]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(Reply.json({"object": "list", "data": [{"id": "scripted", "object": "model"}]}))
        else:
            self._send(Reply.error(404, f"no route {self.path}"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = RecordedRequest("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        self._send(self.server.owner._next(request))

    def _send(self, reply: Reply) -> None:
        if reply.delay_s:
            time.sleep(reply.delay_s)
        body = reply.body or b""
        self.send_response(reply.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if reply.drop:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    owner: ScriptedServer


class ScriptedServer:
    """An OpenAI-compatible HTTP server on a free port of 127.0.0.1."""

    def __init__(self, responder: Responder | None = None) -> None:
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.responder = responder
        self.requests: list[RecordedRequest] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="scripted-server", daemon=True
        )

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The URL to give as ``base_url`` (ends in ``/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def completions(self) -> list[RecordedRequest]:
        """Recorded chat-completion requests."""
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        with self._lock:
            self._queue.extend(replies)

    def _next(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(request)
        return Reply.error(500, "the scripted server has no reply queued")

    def start(self) -> ScriptedServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

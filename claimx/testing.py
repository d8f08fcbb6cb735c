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
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from claimx.testing_batches import BatchItemError, BatchLifecycle, BatchService, StoredFile

__all__ = [
    "BatchItemError",
    "BatchLifecycle",
    "FaultInjector",
    "RecordedRequest",
    "Reply",
    "ScriptedServer",
    "article_sentences",
    "chat_completion",
    "echo_answer",
]


def chat_completion(
    content: str | None,
    *,
    model: str = "scripted",
    finish_reason: str = "stop",
    prompt_tokens: int = 100,
    completion_tokens: int = 50,
    refusal: str | None = None,
    cached_tokens: int | None = None,
) -> dict[str, Any]:
    """An OpenAI chat-completion body carrying ``content`` (``cached_tokens``: of the prompt's, cached)."""
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if refusal is not None:
        message["refusal"] = refusal
    usage: dict[str, Any] = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    if cached_tokens is not None:
        usage["prompt_tokens_details"] = {"cached_tokens": cached_tokens}
    return {
        "id": f"chatcmpl-{time.monotonic_ns()}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason, "logprobs": None}],
        "usage": usage,
    }


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drop: bool = False  # send headers and half the body, then close the connection
    trickle_s: float = 0.0  # send the body one byte at a time, this many seconds apart
    endless: bool = False  # a chunked body that never ends (until the client hangs up)

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

    # Faults, by name, as a test asks for them.

    @classmethod
    def rate_limited(cls, retry_after_s: float = 0) -> Reply:
        """429 with a ``Retry-After`` header."""
        return cls.error(429, "rate limit reached", headers={"Retry-After": f"{retry_after_s:g}"})

    @classmethod
    def slow(cls, delay_s: float, content: str | dict[str, Any] = "{}") -> Reply:
        """A completion that arrives after ``delay_s`` seconds (longer than a client's timeout)."""
        return cls.completion(content, delay_s=delay_s)

    @classmethod
    def dropped(cls) -> Reply:
        """Headers and half a body, then the connection is closed."""
        return replace(cls.completion('{"actors": [], "statements": [], "positions": []}'), drop=True)

    @classmethod
    def malformed_body(cls) -> Reply:
        """A 200 whose HTTP body is not JSON at all."""
        return cls(status=200, body=b'{"id": "chatcmpl-1", "choices": [{"message": {"content": "{\\"act')

    @classmethod
    def truncated(cls, content: str = '{"actors": [], "statements": [{"sentences": ["S1"], "quo') -> Reply:
        """Output cut off at the token limit (``finish_reason: length``)."""
        return cls.json(chat_completion(content, finish_reason="length"))

    @classmethod
    def refusal(cls, text: str = "I can't help with that.") -> Reply:
        """An explicit refusal: no content, a ``refusal`` message."""
        return cls.json(chat_completion(None, refusal=text))

    @classmethod
    def trickle(cls, every_s: float = 0.5, content: str | dict[str, Any] = "{}") -> Reply:
        """A completion whose body arrives one byte every ``every_s`` seconds: never idle, never done."""
        return replace(cls.completion(content), trickle_s=every_s)

    @classmethod
    def endless_body(cls) -> Reply:
        """Headers, then a body that never ends (chunked, 64 KiB at a time)."""
        return cls(status=200, endless=True)

    @classmethod
    def html_page(cls, status: int = 200) -> Reply:
        """A web page where an API reply was expected (a wrong base URL, a proxy's login page)."""
        page = b"<!DOCTYPE html><html><head><title>Welcome</title></head><body><p>Hello</p></body></html>"
        return cls(status=status, body=page, headers={"Content-Type": "text/html; charset=utf-8"})

    @classmethod
    def empty_choices(cls) -> Reply:
        """A well-formed completion with no choices."""
        body = chat_completion("{}")
        body["choices"] = []
        return cls.json(body)


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


_BATCH_ROUTE = re.compile(r"^/v1/(files|batches)(/|\?|$)")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as separate writes; with Nagle's algorithm on, the body waits
    # for the client's delayed ACK (40 ms on Linux), which no real model server adds.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def do_GET(self) -> None:
        owner = self.server.owner
        if owner.serves_batches(self.path):
            self._send(owner._batch_route(self._request("GET", b"")))
        elif self.path.rstrip("/").endswith("/models"):
            self._send(Reply.json({"object": "list", "data": [{"id": "scripted", "object": "model"}]}))
        else:
            self._send(Reply.error(404, f"no route {self.path}"))

    def do_DELETE(self) -> None:
        owner = self.server.owner
        if owner.serves_batches(self.path):
            self._send(owner._batch_route(self._request("DELETE", b"")))
        else:
            self._send(Reply.error(404, f"no route {self.path}"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if len(body) < length:  # the client went away mid-request (a cancelled call): no request
            self.close_connection = True
            return
        request = self._request("POST", body)
        owner = self.server.owner
        if owner.serves_batches(self.path):
            self._send(owner._batch_route(request))
        elif _BATCH_ROUTE.match(self.path):  # a server without the Batch API
            self._send(Reply.error(404, f"no route {self.path}"))
        else:
            self._send(owner._next(request))

    def _request(self, method: str, body: bytes) -> RecordedRequest:
        return RecordedRequest(method, self.path, {k.lower(): v for k, v in self.headers.items()}, body)

    def _send(self, reply: Reply) -> None:
        if reply.delay_s:
            time.sleep(reply.delay_s)
        body = reply.body or b""
        self.send_response(reply.status)
        if not any(key.lower() == "content-type" for key in reply.headers):
            self.send_header("Content-Type", "application/json")
        if reply.endless:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(body)))
        for key, value in reply.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if reply.endless or reply.trickle_s:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._stream_slowly(reply, body)
            return
        if reply.drop:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)

    def _stream_slowly(self, reply: Reply, body: bytes) -> None:
        if reply.trickle_s:
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                time.sleep(reply.trickle_s)
            return
        chunk = b"[" * 65536
        for _ in range(16384):  # at most 1 GiB, then give up
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256
    owner: ScriptedServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a cancelled call, a closed client) is not the server's error.
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FaultInjector:
    """A responder that answers with ``answer(request)`` but injects seeded random faults.

    ``rate`` of requests get a fault drawn from ``faults`` (default: the transient ones,
    which retries absorb, and the final ones, which fail a document); the sequence is
    reproducible for a given ``seed``. ``injected`` counts faults by name.
    """

    TRANSIENT = (
        "rate_limited",
        "error_500",
        "error_502",
        "error_503",
        "dropped",
        "malformed_body",
        "empty_choices",
    )
    FINAL = ("refusal", "invalid_schema")

    def __init__(
        self,
        answer: Responder,
        *,
        rate: float = 0.2,
        seed: int = 0,
        faults: tuple[str, ...] = TRANSIENT + FINAL,
    ) -> None:
        import random

        self.answer = answer
        self.rate = rate
        self.faults = faults
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.injected: dict[str, int] = {}

    def _fault(self, name: str) -> Reply:
        if name.startswith("error_"):
            return Reply.error(int(name.removeprefix("error_")))
        if name == "invalid_schema":
            return Reply.completion('{"statements": "not a list"}')
        factory: Callable[[], Reply] = getattr(Reply, name)
        return factory()

    def __call__(self, request: RecordedRequest) -> Reply:
        """Answer, or with probability ``rate`` inject a fault."""
        with self._lock:
            roll = self._random.random()
            name = self._random.choice(self.faults)
        if roll >= self.rate:
            return self.answer(request)
        with self._lock:
            self.injected[name] = self.injected.get(name, 0) + 1
        return self._fault(name)


class ScriptedServer:
    """An OpenAI-compatible HTTP server on a free port of 127.0.0.1.

    It also serves OpenAI's Files and Batches API (``/v1/files``, ``/v1/batches``; see
    :mod:`claimx.testing_batches`) unless ``batch_api=False``: each line of a batch is
    answered by ``responder`` (not the queue) as its body would be over
    ``/v1/chat/completions``. ``server.batch_service.lifecycle`` sets how batches move and
    end, ``server.batch_item_fault`` which items fail. With ``api_key`` set, every
    request without that bearer key gets a 401.
    """

    def __init__(
        self, responder: Responder | None = None, *, batch_api: bool = True, api_key: str | None = None
    ) -> None:
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self.responder = responder
        self.requests: list[RecordedRequest] = []
        self.batch_api = batch_api
        self.api_key = api_key
        self.batch_service = BatchService(self._answer_line)
        #: The requests read from batch input files, as the responder saw them.
        self.batch_lines: list[RecordedRequest] = []
        #: (custom_id, request) → a reply of any status or a :class:`BatchItemError` for an item
        #: that fails instead of being answered, or None to answer it.
        self.batch_item_fault: Callable[[str, RecordedRequest], Reply | BatchItemError | None] | None = None
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
            return [r for r in self.requests if r.path.partition("?")[0].endswith("/chat/completions")]

    @property
    def uploads(self) -> list[StoredFile]:
        """Files uploaded with purpose ``batch`` (not the output and error files the server wrote)."""
        with self._lock:
            return [f for f in self.batch_service.files.values() if f.purpose == "batch"]

    def serves_batches(self, path: str) -> bool:
        """True for a route of the Files or Batches API, when this server offers them."""
        return self.batch_api and bool(_BATCH_ROUTE.match(path))

    def _batch_route(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply.error(401, "Incorrect API key provided")
        status, body, content_type = self.batch_service.handle(
            request.method, request.path, request.headers, request.body
        )
        return Reply(status=status, body=body, headers={"Content-Type": content_type})

    def _answer_line(self, custom_id: str, path: str, body: bytes) -> tuple[int, bytes] | BatchItemError:
        request = RecordedRequest("POST", path, {"content-type": "application/json"}, body)
        with self._lock:
            self.batch_lines.append(request)
        fault = self.batch_item_fault(custom_id, request) if self.batch_item_fault is not None else None
        if isinstance(fault, BatchItemError):
            return fault
        if fault is not None:
            reply = fault
        elif self.responder is None:
            reply = Reply.error(500, "the scripted server has no responder for batch lines")
        else:
            reply = self.responder(request)
        return reply.status, reply.body or b""

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        with self._lock:
            self._queue.extend(replies)

    def _next(self, request: RecordedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
        if self.api_key is not None and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply.error(401, "Incorrect API key provided")
        with self._lock:
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


_SENTENCE_LINE = re.compile(r"^\[S(\d+)\] (.+)$", re.MULTILINE)


def _user_message(request: RecordedRequest) -> str:
    messages = request.json["messages"]
    return next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")


def article_sentences(request: RecordedRequest) -> list[tuple[int, str]]:
    """The numbered sentences the request shows the model: ``[(3, "text of S3"), ...]``.

    Read from the last user message, where the prompt lays the article out one
    ``[S<n>] text`` line per sentence (whitespace collapsed), so a server can tell
    which document, and which stretch of it, it is asked about.
    """
    return [(int(number), text) for number, text in _SENTENCE_LINE.findall(_user_message(request))]


def echo_answer(request: RecordedRequest) -> Reply:
    """A plausible answer built from the article in the request, for batch and chunk tests.

    Each sentence shown to the model becomes an author-voice statement quoting its first
    words, so every answer grounds. Deterministic: the same request gets the same answer.
    """
    user = _user_message(request)
    statements = []
    for number, text in article_sentences(request):
        words = text.split()
        if len(words) < 3:
            continue
        quote = " ".join(words[: min(8, len(words))]).rstrip(".,;:!?\"'")
        statements.append(
            {
                "sentences": [f"S{number}"],
                "quote": quote,
                "speaker": "author",
                "mode": "author",
                "claim": " ".join(words[: min(12, len(words))]),
                "kind": "fact",
            }
        )
    return Reply.completion(
        {"actors": [], "statements": statements, "positions": []},
        prompt_tokens=max(1, len(user) // 4),
        completion_tokens=20 * max(1, len(statements)),
    )

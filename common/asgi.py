"""ASGI wrappers that must act before Django: Django's ASGIHandler reads the whole request body (spooling past
2.5 MiB to a temporary file) before any middleware runs, so a body limit in middleware comes too late.

Django's ASGI handler with the middleware chain run synchronously, in one hop to the request's thread.

Django's own ASGIHandler builds the chain in async mode. Every synchronous middleware (ours) and every
`MiddlewareMixin` middleware (Django's session, CSRF, auth, messages, security… and the third-party ones) then runs
its `process_request` and `process_response` each through `sync_to_async`, and every view middleware and the view once
more: about twenty thread hops per request, the largest fixed cost of an API request under `make run`'s uvicorn
workers. Here the chain is built in sync mode, exactly as under WSGI, and called once through `sync_to_async` in the
request's thread-sensitive thread — the thread that also receives `request_started`/`request_finished`, so the
request's database connection goes back to the pool at the end. Async views still work (Django adapts them inside the
sync chain); WebSockets are routed to Channels before this handler.
"""

import asyncio
import contextvars
import json
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.db import connections
from django.http import HttpRequest, HttpResponseBase

from common import slots
from common.exceptions import simple_error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """Refuse HTTP request bodies larger than `max_bytes` with the API's JSON 413.

    A declared `Content-Length` over the cap is refused before a byte of the body is read. A body without one
    (chunked) is counted as it streams: at the cap the application is told the client disconnected (Django stops
    reading and answers nothing) and the 413 is sent instead, so no more than the cap is ever buffered.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: Callable[[], int]) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_bytes()
        declared = [value for name, value in scope.get("headers", []) if name.lower() == b"content-length"]
        if declared:
            try:
                length = int(declared[0])
                valid = length >= 0 and len(declared) == 1
            except ValueError:
                valid = False
            if not valid:
                await _respond(send, 400, "Invalid Content-Length header.", "bad_request")
                return
            if length > limit:
                await _respond(send, 413, f"Request body is larger than {limit} bytes.", "payload_too_large")
                return

        received = 0
        over = False
        started = False

        async def limited_receive() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if over:
                return  # the 413 below is the answer
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, guarded_send)
        if over and not started:
            await _respond(send, 413, f"Request body is larger than {limit} bytes.", "payload_too_large")


async def _respond(send: Send, status: int, detail: str, code: str) -> None:
    body = json.dumps(simple_error_body(detail, code)).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 413:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SyncChainASGIHandler(ASGIHandler):
    """Requests run in a small pool of threads per worker (ASGI_REQUEST_THREADS), not all in the one thread-sensitive
    thread: a request waiting on PostgreSQL or Redis no longer holds up the worker's other requests; one waiting
    seconds on a job gives its slot back meanwhile (common/slots.py, up to ASGI_MAX_THREADS threads in all). Each
    request's database connections are released in the thread that used them, as soon as its response is built
    (Django's own `request_finished` runs later, in the thread-sensitive thread, which holds none)."""

    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        threads = int(getattr(settings, "ASGI_REQUEST_THREADS", 1))
        self._pool: ThreadPoolExecutor | None = None
        self._slots = threading.Semaphore(max(threads, 1))
        if threads > 1:
            # More threads than slots: the extra ones belong to requests waiting on a job with their slot given back
            # (common/slots.py); at most `threads` run Django code at once.
            most = max(threads, int(getattr(settings, "ASGI_MAX_THREADS", threads)))
            self._pool = ThreadPoolExecutor(max_workers=most, thread_name_prefix="request")

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        if self._pool is None:
            return await sync_to_async(self.get_response, thread_sensitive=True)(request)
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        return await loop.run_in_executor(self._pool, context.run, self._respond_and_release, request)

    def _respond_and_release(self, request: HttpRequest) -> HttpResponseBase:
        with slots.held(self._slots):
            try:
                return self.get_response(request)
            finally:
                for conn in connections.all(initialized_only=True):
                    conn.close_if_unusable_or_obsolete()


def get_sync_chain_asgi_application() -> SyncChainASGIHandler:
    """django.core.asgi.get_asgi_application(), with the handler above."""
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()

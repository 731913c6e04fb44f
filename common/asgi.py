"""Django's ASGI handler with the middleware chain run synchronously, in one hop to the request's thread.

Django's own ASGIHandler builds the chain in async mode. Every synchronous middleware (ours) and every
`MiddlewareMixin` middleware (Django's session, CSRF, auth, messages, security… and the third-party ones) then runs
its `process_request` and `process_response` each through `sync_to_async`, and every view middleware and the view once
more: about twenty thread hops per request, the largest fixed cost of an API request under `make run`'s uvicorn
workers. Here the chain is built in sync mode, exactly as under WSGI, and called once through `sync_to_async` in the
request's thread-sensitive thread — the thread that also receives `request_started`/`request_finished`, so the
request's database connection goes back to the pool at the end. Async views still work (Django adapts them inside the
sync chain); WebSockets are routed to Channels before this handler.
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.base import BaseHandler
from django.http import HttpRequest, HttpResponseBase


class SyncChainASGIHandler(ASGIHandler):
    def __init__(self) -> None:
        BaseHandler.__init__(self)
        self.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def get_sync_chain_asgi_application() -> SyncChainASGIHandler:
    """django.core.asgi.get_asgi_application(), with the handler above."""
    import django

    django.setup(set_prefix=False)
    return SyncChainASGIHandler()

"""Who is asking: the API key of a request (checked once per request) or its address.

401 when a key is needed and none (or a wrong or revoked one) came, with
``WWW-Authenticate: Bearer``; 403 when the key is good but its scope is too small.
"""

from __future__ import annotations

import logging

from starlette.requests import Request

from .keys import ApiKey, token_from_headers
from .responses import ApiError
from .state import ServeState

log = logging.getLogger(__name__)

_UNSET = object()


async def request_key(request: Request, state: ServeState) -> ApiKey | None:
    """The valid key the request carries, or None; a wrong key is None too (logged)."""
    cached = request.scope.get("everyday.key", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    token = token_from_headers(
        request.headers.get("authorization"), request.headers.get("x-api-key")
    )
    key = None
    if token is not None:
        key = await state.read(lambda reader: reader.check_token(token))
        if key is None:
            log.info("rejected api key client=%s", client_address(request))
    request.scope["everyday.key"] = key
    request.scope["everyday.token_sent"] = token is not None
    return key


async def require_key(request: Request, state: ServeState, scope: str) -> ApiKey:
    """The request's key if it allows ``scope``.

    Raises:
        ApiError: 401 without a valid key, 403 when its scope is too small.
    """
    key = await request_key(request, state)
    if key is None:
        sent = request.scope.get("everyday.token_sent")
        message = "invalid or revoked API key" if sent else "an API key is needed"
        raise ApiError(401, message, {"WWW-Authenticate": 'Bearer realm="everyday"'})
    if not key.allows(scope):
        raise ApiError(403, f"this key (scope {key.scope}) may not do this; it needs {scope}")
    return key


def client_address(request: Request) -> str:
    """The peer address (uvicorn applies X-Forwarded-For only from trusted proxies)."""
    return request.client.host if request.client else "unknown"


async def client_id(request: Request, state: ServeState) -> str:
    """Rate-limit identity: ``key:<id>`` for a valid key, else ``ip:<address>``."""
    key = await request_key(request, state)
    return f"key:{key.id}" if key is not None else f"ip:{client_address(request)}"

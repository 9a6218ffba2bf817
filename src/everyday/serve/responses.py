"""JSON answers of the live API: bodies with ETag and cache headers, and errors.

Every error is ``{"error": {"status": N, "message": "..."}}`` with the status repeated,
so a client reading only the body still knows what happened.
"""

from __future__ import annotations

import json
from collections.abc import Mapping

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from .state import Body

JSON = "application/json; charset=utf-8"


class ApiError(HTTPException):
    """An answer other than 2xx/304, with a message for the client."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status_code=status, detail=message, headers=dict(headers or {}))


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The JSON error body; never cached."""
    body = json.dumps({"error": {"status": status, "message": message}}, ensure_ascii=False)
    merged = {"Cache-Control": "no-store", **(headers or {})}
    return Response(body.encode("utf-8"), status_code=status, media_type=JSON, headers=merged)


def etag_matches(header: str, etag: str) -> bool:
    """If-None-Match with weak comparison (RFC 9110 §13.1.2): ``*`` or any listed tag."""
    tags = [t.strip() for t in header.split(",")]
    return "*" in tags or any(t.removeprefix("W/") == etag.removeprefix("W/") for t in tags)


def body_response(request: Request, body: Body, cache_control: str, vary: str = "") -> Response:
    """200 with the body (gzip when accepted), or 304 when the client has this ETag."""
    headers = {
        "ETag": body.etag,
        "Cache-Control": cache_control,
        "Vary": "Accept-Encoding" + (f", {vary}" if vary else ""),
    }
    inm = request.headers.get("if-none-match")
    if inm is not None and etag_matches(inm, body.etag):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", "") and body.gz is not None:
        headers["Content-Encoding"] = "gzip"
        return Response(body.gz, media_type=JSON, headers=headers)
    return Response(body.data, media_type=JSON, headers=headers)


class BodyTooLarge(Exception):
    """A request body over its cap (the caller answers 413 in its own words)."""


async def read_capped(request: Request, limit: int) -> bytes:
    """The request body, read no further than ``limit`` bytes.

    Raises:
        BodyTooLarge: the declared or the actual length is over ``limit``.
    """
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise BodyTooLarge(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)

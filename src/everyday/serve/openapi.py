"""The OpenAPI 3.1 document of the live API, and a docs page rendered from it.

Written by hand from the routes (a schema generator would need docstrings in YAML); a
test checks every route of the app is described here. The docs page is plain HTML
built on the server (no CDN script), every value escaped.
"""

from __future__ import annotations

import html
from typing import Any

LIST_PARAMS: list[dict[str, Any]] = [
    {"name": "q", "in": "query", "description": "Full-text search over title, excerpt and "
     'text: words (all must match), "phrases", prefix*, a OR b, -excluded. Max 256 characters.',
     "schema": {"type": "string", "maxLength": 256}},
    {"name": "topic", "in": "query", "description": "Topic id or name.", "schema": {"type": "string"}},
    {"name": "provider", "in": "query", "description": "Provider domain, e.g. example.com.",
     "schema": {"type": "string"}},
    {"name": "from", "in": "query", "description": "Published at or after (YYYY-MM-DD or ISO 8601).",
     "schema": {"type": "string"}},
    {"name": "to", "in": "query", "description": "Published before the end of this day, or before "
     "this time.", "schema": {"type": "string"}},
    {"name": "minQuality", "in": "query", "schema": {"type": "integer", "minimum": 0, "maximum": 100}},
    {"name": "published", "in": "query", "description": "true (default), false or any; false and "
     "any need an API key.", "schema": {"type": "string", "enum": ["true", "false", "any"]}},
    {"name": "sort", "in": "query", "description": "date (default), heat, quality, relevance "
     "(default with q).", "schema": {"type": "string", "enum": ["date", "heat", "quality", "relevance"]}},
    {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "pageSize", "in": "query", "description": "Items per page, up to [serve] page_size_max.",
     "schema": {"type": "integer", "minimum": 1}},
]  # fmt: skip
PAGE = {"name": "page", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
TOPIC = {"name": "topic", "in": "path", "required": True, "schema": {"type": "string"},
         "description": "Topic id (as in api/topics)."}  # fmt: skip
URL_BODY = {"type": "object", "required": ["url"], "properties": {"url": {"type": "string"}}}


def _get(
    summary: str, params: list[dict[str, Any]] | None = None, tag: str = "news"
) -> dict[str, Any]:
    return {"get": {"summary": summary, "tags": [tag], "parameters": params or [],
                    "responses": {"200": {"$ref": "#/components/responses/Page"},
                                  "304": {"description": "Not modified (If-None-Match)."},
                                  "400": {"$ref": "#/components/responses/Error"},
                                  "404": {"$ref": "#/components/responses/Error"},
                                  "429": {"$ref": "#/components/responses/Error"}}}}  # fmt: skip


def _admin(method: str, summary: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "tags": ["admin"], "security": [{"bearer": []}],
                          "responses": {"200": {"description": "Done."},
                                        "401": {"$ref": "#/components/responses/Error"},
                                        "403": {"$ref": "#/components/responses/Error"},
                                        "413": {"$ref": "#/components/responses/Error"},
                                        "429": {"$ref": "#/components/responses/Error"}}}  # fmt: skip
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return {method: op}


def _with(schema: dict[str, Any], **extra: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "properties": {**schema["properties"], **extra}}


def openapi_document(title: str, version: str) -> dict[str, Any]:
    """The OpenAPI 3.1 description of every route ``everyday serve`` answers."""
    item = [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
            for n in ("year", "month", "day", "slug")]  # fmt: skip
    paths: dict[str, Any] = {
        "/api/news/index.json": _get("Newest published news, page 1", LIST_PARAMS),
        "/api/news/page/{page}/index.json": _get("A page of the news", [PAGE, *LIST_PARAMS]),
        "/api/news/{topic}/index.json": _get("News of one topic", [TOPIC, *LIST_PARAMS]),
        "/api/news/{topic}/page/{page}/index.json": _get(
            "A page of one topic's news", [TOPIC, PAGE, *LIST_PARAMS]
        ),
        "/api/news/{year}/{month}/{day}/{slug}/index.json": _get(
            "One record in full (quality, published, related)", item
        ),
        "/api/stories/{id}": _get("The articles of one story cluster", [
            {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}]),
        "/api/topics/index.json": _get("Topics with published counts", tag="indexes"),
        "/api/providers/index.json": _get("Providers, most published first", tag="indexes"),
        "/api/newsletters/index.json": _get("Newsletter issues, newest first", tag="indexes"),
        "/healthz": {"get": {"summary": "Liveness and article count", "tags": ["server"],
                             "responses": {"200": {"description": "OK"}}}},
        "/openapi.json": {"get": {"summary": "This document", "tags": ["server"],
                                  "responses": {"200": {"description": "OK"}}}},
        "/docs": {"get": {"summary": "Human-readable API docs", "tags": ["server"],
                          "responses": {"200": {"description": "HTML"}}}},
        "/api/admin/sources": {**_admin("get", "List sources with fetch state"),
                               **_admin("post", "Add a source", _with(URL_BODY, kind={
                                   "type": "string", "enum": ["feed", "sitemap", "page"]}))},
        "/api/admin/sources/remove": _admin("post", "Stop polling a source", URL_BODY),
        "/api/admin/sources/pause": _admin("post", "Pause or resume a source",
                                           _with(URL_BODY, paused={"type": "boolean"})),
        "/api/admin/pass": {**_admin("get", "Status of the background pass"),
                            **_admin("post", "Start a pass in the background (202, 409 if one "
                                     "runs)", {"type": "object", "properties": {
                                         "all": {"type": "boolean"}}})},
        "/api/admin/articles/unpublish": _admin("post", "Unpublish an article (the hub keeps "
                                                "this decision until articles/auto)", URL_BODY),
        "/api/admin/articles/publish": _admin("post", "Publish an article (the hub keeps this "
                                              "decision until articles/auto)", URL_BODY),
        "/api/admin/articles/auto": _admin("post", "Let the hub decide published again (now)",
                                           URL_BODY),
        "/api/admin/articles/pin": _admin("post", "Pin (or unpin) an article to lead the lists",
                                          _with(URL_BODY, pinned={"type": "boolean"})),
        "/api/admin/articles/enrich": _admin("post", "Rebuild an article's record and decide "
                                             "it again", URL_BODY),
        "/api/admin/log": _admin("get", "Latest admin actions"),
        "/api/admin/status": _admin("get", "The hub at a glance, as `everyday status --json` "
                                    "prints it (needsAttention: a source is failing)"),
    }  # fmt: skip
    for name in ("topics", "providers", "newsletters"):
        paths[f"/api/{name}/page/{{page}}/index.json"] = _get(
            f"A page of {name}", [PAGE], "indexes"
        )
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{title} API", "version": version,
                 "description": "The static JSON API of the hub, live: same paths and "
                 "envelope, plus filters and full-text search."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "A key from `everyday keys create` "
                                           "(also accepted as X-API-Key)."}},
            "responses": {
                "Page": {"description": '{"page": N, "value": [...], "nextPage": N+1 | null}',
                         "content": {"application/json": {}}},
                "Error": {"description": '{"error": {"status": N, "message": "..."}}',
                          "content": {"application/json": {}}},
            },
        },
    }  # fmt: skip


def docs_page(document: dict[str, Any]) -> str:
    """A readable page of every operation and its parameters."""
    e = html.escape
    info = document["info"]
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        '<meta name=viewport content="width=device-width, initial-scale=1">',
        f"<title>{e(info['title'])}</title><style>body{{font:16px/1.5 system-ui,sans-serif;"
        "max-width:52rem;margin:auto;padding:1rem;color:#1a1a1a}code{background:#f2f2f2;"
        "padding:0 .2em}h2{margin-top:2rem}td{vertical-align:top;padding:.2rem .5rem}</style>",
        f"</head><body><main><h1>{e(info['title'])}</h1><p>{e(info['description'])}</p>",
        '<p>Machine-readable: <a href="/openapi.json">/openapi.json</a></p>',
    ]
    for path, ops in document["paths"].items():
        for method, op in ops.items():
            parts.append(
                f"<h2><code>{e(method.upper())} {e(path)}</code></h2><p>{e(op['summary'])}</p>"
            )
            params = op.get("parameters") or []
            if params:
                parts.append("<table><tr><th>parameter</th><th>in</th><th>what</th></tr>")
                for p in params:
                    parts.append(
                        f"<tr><td><code>{e(p['name'])}</code></td><td>{e(p['in'])}</td>"
                        f"<td>{e(p.get('description', ''))}</td></tr>"
                    )
                parts.append("</table>")
    parts.append("</main></body></html>")
    return "\n".join(parts)

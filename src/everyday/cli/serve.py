"""``everyday serve`` and ``everyday keys create|list|revoke``."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.table import Table

from ..app import open_store
from ..serve.index import KeyTable, open_keys
from ..serve.keys import SCOPES
from ..serve.state import load_serve_settings
from ..settings import load_settings
from . import cli
from .options import hub_option, resolve_hub
from .output import console


@cli.command()
@hub_option
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8000).")
@click.option("--workers", type=int, help="Server processes (default 1).")
@click.option("--private-reads", is_flag=True, default=None, help="Require a key for API reads.")
@click.option("--site", "site_dir", help="Static site folder to serve at / (default _site).")
def serve(
    hub_dir: Path | None,
    host: str | None,
    port: int | None,
    workers: int | None,
    private_reads: bool | None,
    site_dir: str | None,
) -> None:
    """Serve the live JSON API, the admin endpoints and the built site.

    Settings come from EVERYDAY_SERVE_* variables (see docs/serve.md), then these flags.

    \b
    Examples:
        everyday serve                          # http://127.0.0.1:8000/api/news/index.json
        everyday serve --host 0.0.0.0 --port 8080 --workers 4
        curl 'http://127.0.0.1:8000/api/news/index.json?q="neural network"&sort=heat'
    """
    import uvicorn

    hub_dir = resolve_hub(hub_dir).resolve()
    flags = {"host": host, "port": port, "workers": workers, "private_reads": private_reads,
             "site_dir": site_dir}  # fmt: skip
    env = {f"EVERYDAY_SERVE_{k.upper()}": str(v) for k, v in flags.items() if v is not None}
    os.environ.update(env)  # worker processes rebuild the app from the environment
    os.environ["EVERYDAY_HUB"] = str(hub_dir)
    hub = load_settings(hub_dir)
    settings = load_serve_settings(hub)
    open_store(hub).close()  # fails early on a bad hub: no driver, bad dsn, no server
    console.print(f"serving {hub_dir} on http://{settings.host}:{settings.port}/ (Ctrl-C stops)")
    uvicorn.run(
        "everyday.serve.app:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level="warning",
        access_log=False,  # per-request logging halves throughput; use a proxy's log
        proxy_headers=True,
    )


@cli.group()
def keys() -> None:
    """Manage the API keys of `everyday serve` (admin endpoints, private reads).

    \b
    Examples:
        everyday keys create --name deploy-bot --scope admin
        everyday keys list
        everyday keys revoke 1a2b3c4d
    """


def _keys(hub_dir: Path | None) -> KeyTable:
    """The keys table of the hub's index, whichever backend holds it."""
    return open_keys(load_settings(resolve_hub(hub_dir)))


@keys.command("create")
@hub_option
@click.option("--name", required=True, help="Who or what uses the key.")
@click.option("--scope", type=click.Choice(SCOPES), default="admin", show_default=True)
def create(hub_dir: Path | None, name: str, scope: str) -> None:
    """Create a key and print it once (only its salted hash is stored).

    \b
    Example:
        everyday keys create --name deploy-bot --scope admin
    """
    keys_table = _keys(hub_dir)
    try:
        token, key = keys_table.create_key(name, scope, datetime.now(UTC))
    except ValueError as e:
        raise click.BadParameter(str(e)) from e
    finally:
        keys_table.close()
    console.print(f"key {key.id} ({key.scope}) for {key.name}; keep it now, it is not shown again:")
    click.echo(token)


@keys.command("list")
@hub_option
def list_(hub_dir: Path | None) -> None:
    """Show every key: id, name, scope, created, revoked.

    \b
    Example:
        everyday keys list
    """
    keys_table = _keys(hub_dir)
    try:
        rows = keys_table.list_keys()
    finally:
        keys_table.close()
    table = Table("id", "name", "scope", "created", "revoked")
    for k in rows:
        revoked = k.revoked.strftime("%Y-%m-%d %H:%M") if k.revoked else ""
        table.add_row(k.id, k.name, k.scope, k.created.strftime("%Y-%m-%d %H:%M"), revoked)
    console.print(table)


@keys.command("revoke")
@hub_option
@click.argument("key_id")
def revoke(hub_dir: Path | None, key_id: str) -> None:
    """Revoke a key by its id; requests with it get 401 from then on.

    \b
    Example:
        everyday keys revoke 1a2b3c4d
    """
    keys_table = _keys(hub_dir)
    try:
        done = keys_table.revoke_key(key_id, datetime.now(UTC))
    finally:
        keys_table.close()
    if not done:
        raise click.ClickException(f"no live key {key_id}")
    console.print(f"revoked: {key_id}")

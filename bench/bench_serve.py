"""Benchmark: the live API under wrk, against nginx serving the same JSON files.

Issue #5 targets: the live list endpoint at >= 50% of nginx's static throughput; search
p99 under 50 ms on a 100,000-article hub. Both servers run on this machine in the same
run with the same number of worker processes; wrk runs as a separate process on loopback.
nginx serves the bytes the live server answered (fetched from it first), so both send
identical bodies. Needs ``wrk`` and ``nginx`` on PATH (``apt-get install -y wrk nginx``).

    python bench/bench_serve.py [--articles 100000] [--duration 10] [--workers 2]
                                [--hub DIR]   # reuse a generated hub between runs
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from everyday.hub import init_hub
from everyday.serve.search import parse_query
from everyday.settings import load_settings
from everyday.store.search import ArticleQuery, connect_reader, find_articles
from everyday.store.sqlite import SQLiteStore
from serve_samples import WORDS, fill, free_port

NGINX_CONF = """
worker_processes {workers};
error_log {root}/error.log warn;
pid {root}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    default_type application/json;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {root}/tmp; proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp; uwsgi_temp_path {root}/tmp; scgi_temp_path {root}/tmp;
    server {{ listen 127.0.0.1:{port}; root {root}/site; etag on; }}
}}
"""
SEARCH_LUA = """
local queries = {{ {queries} }}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", "/api/news/index.json?q=" .. queries[(n % #queries) + 1])
end
"""


def make_hub(root: Path, count: int) -> Path:
    """A hub of ``count`` generated articles (batches of 5,000 per transaction)."""
    hub = init_hub(root / "hub", title="Bench Hub", sources=[])
    settings = load_settings(hub, env={})
    started = time.perf_counter()
    with SQLiteStore(settings.path(settings.storage.database)) as store:
        for start in range(1, count + 1, 5000):
            fill(store, min(5000, count + 1 - start), start=start)
    print(f"generated {count} articles in {time.perf_counter() - started:.1f} s")
    return hub


def wait_for(url: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def wrk(url: str, duration: int, connections: int, script: Path | None = None) -> tuple[float, str]:
    """Requests per second and the p99 latency wrk reports."""
    command = [
        "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        url,
    ]
    if script is not None:
        command[1:1] = ["-s", str(script)]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+(\S+)", out).group(1)  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx answers from {url}")
    return rps, p99


def search_latency(db: Path, queries: list[str]) -> tuple[float, float]:
    """p50 and p99 (ms) of the search query itself, one reader, no HTTP."""
    conn = connect_reader(str(db))
    times = []
    for text in queries:
        started = time.perf_counter()
        find_articles(conn, ArticleQuery(match=parse_query(text), sort="rank", limit=21))
        times.append((time.perf_counter() - started) * 1000)
    conn.close()
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def search_queries(count: int) -> list[str]:
    rng = random.Random(5)
    shapes = [
        lambda: rng.choice(WORDS),
        lambda: f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
        lambda: f'"{rng.choice(WORDS)} {rng.choice(WORDS)}"',
        lambda: rng.choice(WORDS)[:3] + "*",
        lambda: f"{rng.choice(WORDS)} OR {rng.choice(WORDS)}",
        lambda: f"marker{rng.randrange(1, 100_000)}",
    ]
    queries: dict[str, None] = {}
    while len(queries) < count:  # distinct, so the server's response cache never helps
        queries[rng.choice(shapes)()] = None
    return list(queries)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--search-connections", type=int, default=4, help="Concurrent searches (latency run)."
    )
    parser.add_argument("--hub", type=Path, help="Generated hub to reuse (made if missing).")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install -y wrk nginx")
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    work.chmod(0o755)  # nginx workers run as www-data
    hub = args.hub or work / "hub"
    if not (hub / "everyday.toml").exists():
        hub = make_hub(hub.parent, args.articles)
    settings = load_settings(hub, env={})
    db = settings.path(settings.storage.database)

    queries = search_queries(5000)
    p50, p99 = search_latency(db, queries[:1000])
    print(f"search query alone (1000 queries, one thread): p50 {p50:.1f} ms, p99 {p99:.1f} ms")

    port, nginx_port = free_port(), free_port()
    env = {**os.environ, "EVERYDAY_SERVE_SEARCH_RATE": "0", "EVERYDAY_SERVE_ADMIN_RATE": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "everyday", "serve", "--hub", str(hub), "--port", str(port),
         "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    nginx = None
    try:
        live = f"http://127.0.0.1:{port}"
        wait_for(live + "/healthz")
        pages = ["/api/news/index.json", "/api/news/machine-learning/index.json"]
        static = work / "nginx"
        for page in pages:  # nginx serves exactly what the live server answers
            target = static / "site" / page.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(httpx.get(live + page).content)
        (static / "tmp").mkdir(exist_ok=True)
        conf = static / "nginx.conf"
        conf.write_text(NGINX_CONF.format(workers=args.workers, root=static, port=nginx_port))
        nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(static), "-g", "daemon off;"])
        wait_for(f"http://127.0.0.1:{nginx_port}{pages[0]}")
        lua = work / "search.lua"
        quoted = ", ".join('"' + httpx.QueryParams({"q": q}).get("q").replace('"', "%22").replace(" ", "%20") + '"' for q in queries)  # fmt: skip
        lua.write_text(SEARCH_LUA.format(queries=quoted))

        print(f"\nwrk -t2 -c{args.connections} -d{args.duration}s, {args.workers} worker(s) each")
        print(f"{'endpoint':<40} {'server':<8} {'req/s':>10} {'p99':>10}")
        results = {}
        for name, page in (("news list page 1", pages[0]), ("topic page 1", pages[1])):
            for server_name, base in (("live", live), ("nginx", f"http://127.0.0.1:{nginx_port}")):
                rps, lat = wrk(base + page, args.duration, args.connections)
                results[(name, server_name)] = rps
                print(f"{name:<40} {server_name:<8} {rps:>10.0f} {lat:>10}")
        for connections in (args.search_connections, args.connections):
            rps, lat = wrk(live + "/", args.duration, connections, lua)
            label = f"search, {len(queries)} distinct queries, {connections} conns"
            print(f"{label:<40} {'live':<8} {rps:>10.0f} {lat:>10}")
        for name in ("news list page 1", "topic page 1"):
            ratio = results[(name, "live")] / results[(name, "nginx")]
            print(f"{name}: live at {ratio:.0%} of nginx")
    finally:
        server.terminate()
        server.wait(10)
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)


if __name__ == "__main__":
    main()

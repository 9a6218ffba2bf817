"""Benchmark: the live API under wrk, against nginx serving the same JSON files.

Issue #5 targets: the live list endpoint at >= 50% of nginx's static throughput; search
p99 under 50 ms on a 100,000-article hub. Both servers run on this machine in the same
run with the same number of worker processes; wrk runs as a separate process on loopback.
nginx serves the bytes the live server answered (fetched from it first), so both send
identical bodies. Needs ``wrk`` and ``nginx`` on PATH (``apt-get install -y wrk nginx``).

The corpus (docs/serve.md, "Load"): article text drawn from a 100,000-word vocabulary
(the sample newswire's words by frequency, then generated word forms) with Zipf weights,
so common words match most articles and rare ones a few dozen, as in real news.

    python bench/bench_serve.py [--articles 100000] [--duration 10] [--workers 2]
                                [--runs 3] [--hub DIR]   # reuse a generated hub
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from everyday.demo.content import build_articles
from everyday.hub import init_hub
from everyday.models import Article
from everyday.records.frontmatter import format_record
from everyday.records.slug import record_filename
from everyday.serve.search import parse_query
from everyday.settings import load_settings
from everyday.store.search import ArticleQuery, connect_reader, find_articles
from everyday.store.sqlite import SQLiteStore
from serve_samples import free_port, make_record

CORPUS_VERSION = 3  # bump when the generator changes: a reused hub is then rebuilt
# Heaps' law puts a 40-million-word news corpus at 100,000-200,000 distinct words; the
# tail then appears in a few dozen articles, as rare names and terms do.
VOCABULARY = 100_000
ZIPF_S, ZIPF_Q = 1.0, 2.7  # Zipf-Mandelbrot: weight of rank r is 1 / (r + q) ** s
CACHE_ENTRIES = 2048  # [serve] cache_entries: a query repeated after more is not cached
STOPWORDS = 60  # the commonest ranks: never a title word or a query on their own
_LETTERS = re.compile(r"[^\W\d_]+")
_SYLLABLE_TEXT = (
    "ka ri to ve lan mor sen dal qui bra ne ost fel rin ga tha mu cor pel zan "
    "vi ler dor am tis hal or wen bel sta gri nov lu pra den cas mer tal ro"
)
_SYLLABLES = tuple(_SYLLABLE_TEXT.split())
_SUFFIXES = ("s", "ed", "ing", "er", "ers", "ly", "ment", "ness", "ity", "ise", "al")

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
-- Thread k of T sends queries k, k+T, k+2T, ... after the offset (wrk ... -- OFFSET T),
-- so no query repeats within a run, nor across runs while the offsets move on.
local queries = {{ {queries} }}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  n = tonumber(args[1]) + id
  step = tonumber(args[2])
end
request = function()
  local q = queries[(n % #queries) + 1]
  n = n + step
  return wrk.format("GET", "/api/news/index.json?q=" .. q)
end
"""


class Corpus:
    """Words by rank with Zipf weights; draws text, titles and query words from them."""

    def __init__(self, size: int = VOCABULARY) -> None:
        self.words = vocabulary(size)
        weights = [1 / (rank + ZIPF_Q) ** ZIPF_S for rank in range(1, len(self.words) + 1)]
        self._all = list(itertools.accumulate(weights))
        self._content = list(itertools.accumulate(weights[STOPWORDS:]))

    def text(self, rng: random.Random, count: int) -> str:
        """``count`` words in sentences of 8-24 words."""
        drawn = rng.choices(self.words, cum_weights=self._all, k=count)
        sentences, at = [], 0
        while at < count:
            size = rng.randint(8, 24)
            words = drawn[at : at + size]
            sentences.append(words[0].capitalize() + " " + " ".join(words[1:]) + ".")
            at += size
        return " ".join(sentences)

    def title(self, rng: random.Random) -> str:
        """5-11 words, content words (no stop words) as headlines are."""
        words = rng.choices(self.words[STOPWORDS:], cum_weights=self._content, k=rng.randint(5, 11))
        return words[0].capitalize() + " " + " ".join(words[1:])


def vocabulary(size: int) -> list[str]:
    """The newswire's words by frequency, then invented names and word forms up to ``size``."""
    counts: Counter[str] = Counter()
    for wire in build_articles(datetime(2024, 1, 1, tzinfo=UTC)):
        for field in (wire.title, wire.summary, wire.text):
            counts.update(w.lower() for w in _LETTERS.findall(field) if len(w) > 1 or w == "a")
    real = [w for w, _ in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]
    known = set(real)
    rng = random.Random(30_000)
    made: list[str] = []
    forms = (w + s for w in real[STOPWORDS:] for s in _SUFFIXES)  # robots, mapping, ...
    for form in forms:
        if len(made) >= (size - len(real)) // 3:
            break
        if form not in known:
            made.append(form)
            known.add(form)
    while len(real) + len(made) < size:  # names of people, places, companies
        word = "".join(rng.choices(_SYLLABLES, k=rng.randint(2, 4)))
        if word not in known:
            made.append(word)
            known.add(word)
    rng.shuffle(made)  # forms and names mixed through the tail
    return (real + made)[:size]


def make_article(n: int, corpus: Corpus) -> Article:
    """Article ``n``: a Zipf text of 150-650 words; the excerpt is its first sentences."""
    rng = random.Random(n)
    text = corpus.text(rng, rng.randint(150, 650))
    excerpt = " ".join(text.split()[:32]).rstrip(".") + " ..."
    record = make_record(n, title=corpus.title(rng), excerpt=excerpt)
    return Article(
        record=record,
        path=f"_news/{record_filename(record.published.date(), record.title)}",
        text=text,
        first_seen=record.published,
        fingerprint=hashlib.sha256(format_record(record).encode("utf-8")).hexdigest(),
    )


def make_hub(root: Path, count: int) -> Path:
    """A hub of ``count`` generated articles (batches of 5,000 per transaction)."""
    hub = init_hub(root, title="Bench Hub", sources=[])
    settings = load_settings(hub, env={})
    corpus = Corpus()
    started = time.perf_counter()
    with SQLiteStore(settings.path(settings.storage.database)) as store:
        for start in range(1, count + 1, 5000):
            batch = [make_article(n, corpus) for n in range(start, min(start + 5000, count + 1))]
            with store.transaction():
                for article in batch:
                    store.add_article(article)
            print(f"  {start + len(batch) - 1} articles, {time.perf_counter() - started:.0f} s")
    (hub / "bench-corpus.json").write_text(json.dumps({"version": CORPUS_VERSION, "n": count}))
    return hub


def is_current(hub: Path, count: int) -> bool:
    marker = hub / "bench-corpus.json"
    return marker.exists() and json.loads(marker.read_text()) == {
        "version": CORPUS_VERSION,
        "n": count,
    }


def search_queries(db: Path, corpus: Corpus, count: int) -> list[tuple[str, str]]:
    """(shape, text) pairs, all distinct, in the mix docs/serve.md describes."""
    rng = random.Random(5)
    conn = connect_reader(str(db))
    articles = [
        row[0].split()
        for row in conn.execute(
            "SELECT json_extract(data, '$.text') FROM articles WHERE is_published = 1 "
            "ORDER BY random() LIMIT ?",
            (count,),
        )
    ]
    conn.close()
    common = corpus.words[STOPWORDS:3000]  # each in 1% to 50% of the articles
    rare = corpus.words[10_000:]  # each in a few dozen to a few hundred
    stop = set(corpus.words[:STOPWORDS])

    def phrase() -> str:
        words = rng.choice(articles)
        while True:  # 2-3 words in a row, not all stop words ("of the")
            at = rng.randrange(len(words) - 3)
            picked = [w.strip(".").lower() for w in words[at : at + rng.randint(2, 3)]]
            if not set(picked) <= stop:
                return '"' + " ".join(picked) + '"'

    shapes: list[tuple[str, float, Callable[[], str]]] = [
        ("common word", 0.20, lambda: rng.choice(common)),
        ("rare word", 0.20, lambda: rng.choice(rare)),
        ("two words (AND)", 0.25, lambda: f"{rng.choice(common)} {rng.choice(common)}"),
        ("phrase from an article", 0.20, phrase),
        ("prefix", 0.15, lambda: rng.choice(common)[: rng.randint(3, 5)] + "*"),
    ]
    picked: list[tuple[str, str]] = []
    for name, share, make in shapes:  # distinct, so the response cache never helps
        distinct: dict[str, None] = {}
        for _ in range(count * 20):
            if len(distinct) >= share * count:
                break
            text = make()
            if len(text.strip('"*')) >= 2:
                distinct[text] = None
        picked += [(name, text) for text in distinct]
    rng.shuffle(picked)
    return picked


def search_latency(
    db: Path, queries: list[tuple[str, str]], sort: str = "rank"
) -> dict[str, tuple[float, float]]:
    """p50 and p99 (ms) of the search query itself per shape, one reader, no HTTP."""
    conn = connect_reader(str(db))
    times: dict[str, list[float]] = {}
    for shape, text in queries:
        started = time.perf_counter()
        find_articles(conn, ArticleQuery(match=parse_query(text), sort=sort, limit=21))
        elapsed = (time.perf_counter() - started) * 1000
        times.setdefault(shape, []).append(elapsed)
        times.setdefault("all", []).append(elapsed)
    conn.close()
    return {shape: (statistics.median(t), percentile(t, 99)) for shape, t in times.items()}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def wait_for(url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def wrk(url: str, duration: int, connections: int, script: Path | None = None,
        offset: int = 0) -> tuple[float, float, int]:  # fmt: skip
    """Requests per second, the p99 latency (ms) and the number of requests wrk reports."""
    threads = min(2, connections)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    if script is not None:
        command += ["-s", str(script), url, "--", str(offset), str(threads)]
    else:
        command += [url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
    done = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        print(f"  warning: {errors.group(1)} non-2xx answers from {url}")
    return rps, float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], done


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[0]


class CpuMeter:
    """CPU seconds this machine spent on processes other than the benchmark's own.

    The load average counts wrk and both servers too; this separates them: all busy time
    (/proc/stat) minus the server and nginx process trees, wrk (reaped children) and this
    script. Linux only.
    """

    def __init__(self, roots: list[int]) -> None:
        self.roots = roots
        self.hz = os.sysconf("SC_CLK_TCK")
        self.start = self._sample()

    def _sample(self) -> tuple[float, float]:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[:8])
        busy = (user + nice + system + irq + softirq + steal) / self.hz
        ours = self._trees() + sum(
            r.ru_utime + r.ru_stime
            for r in (resource.getrusage(resource.RUSAGE_SELF),
                      resource.getrusage(resource.RUSAGE_CHILDREN))
        )  # fmt: skip
        return busy, ours

    def _trees(self) -> float:
        parents: dict[int, int] = {}
        times: dict[int, float] = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                rest = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            pid = int(stat.parent.name)
            parents[pid] = int(rest[1])
            times[pid] = (int(rest[11]) + int(rest[12])) / self.hz
        total = 0.0
        for pid, spent in times.items():
            up = pid
            while up > 1 and up not in self.roots:
                up = parents.get(up, 0)
            if up in self.roots:
                total += spent
        return total

    def others(self) -> float:
        """CPU seconds used by other processes since the last call."""
        busy, ours = self._sample()
        spent = (busy - self.start[0]) - (ours - self.start[1])
        self.start = (busy, ours)
        return max(0.0, spent)


def url_query(text: str) -> str:
    return str(httpx.QueryParams({"q": text})).removeprefix("q=")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--runs", type=int, default=3, help="Rounds of every measurement.")
    parser.add_argument("--hub", type=Path, help="Generated hub to reuse (made if missing).")
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} not found: apt-get install -y wrk nginx")
    work = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    work.chmod(0o755)  # nginx workers run as www-data
    hub = args.hub or work / "hub"
    if not is_current(hub, args.articles):
        shutil.rmtree(hub, ignore_errors=True)
        print(f"generating {args.articles} articles in {hub}")
        make_hub(hub, args.articles)
    settings = load_settings(hub, env={})
    db = settings.path(settings.storage.database)

    corpus = Corpus()
    queries = search_queries(db, corpus, 15_000)
    print("\nsearch query alone (first 2,000 queries, one thread, no HTTP), ms:")
    for shape, (p50, p99) in search_latency(db, queries[:2000]).items():
        print(f"  {shape:<24} p50 {p50:6.1f}   p99 {p99:6.1f}")
    print("the same, sort=date (newest first):")
    for shape, (p50, p99) in search_latency(db, queries[:2000], sort="date").items():
        print(f"  {shape:<24} p50 {p50:6.1f}   p99 {p99:6.1f}")

    port, nginx_port = free_port(), free_port()
    env = {**os.environ, "EVERYDAY_SERVE_SEARCH_RATE": "0", "EVERYDAY_SERVE_ADMIN_RATE": "0"}
    server = subprocess.Popen(
        [sys.executable, "-m", "everyday", "serve", "--hub", str(hub), "--port", str(port),
         "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=(work / "serve.log").open("w"),
    )  # fmt: skip
    nginx = None
    try:
        live, static_base = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{nginx_port}"
        wait_for(live + "/healthz")
        pages = {
            "news list page 1": "/api/news/index.json",
            "topic page 1": "/api/news/machine-learning/index.json",
        }
        static = work / "nginx"
        for page in pages.values():  # nginx serves exactly what the live server answers
            target = static / "site" / page.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(httpx.get(live + page).content)
        (static / "tmp").mkdir(exist_ok=True)
        conf = static / "nginx.conf"
        conf.write_text(NGINX_CONF.format(workers=args.workers, root=static, port=nginx_port))
        nginx = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(static), "-g", "daemon off;"])
        wait_for(static_base + pages["news list page 1"])
        lua = work / "search.lua"
        lua.write_text(
            SEARCH_LUA.format(queries=", ".join('"' + url_query(q) + '"' for _, q in queries))
        )
        for text in ("model", '"open source"', "robo*"):  # every worker has its readers open
            httpx.get(f"{live}/api/news/index.json?q={url_query(text)}")

        print(f"\nwrk -c{args.connections} -d{args.duration}s, {args.workers} worker(s) each, "
              f"{args.runs} rounds; {len(queries)} distinct queries")  # fmt: skip
        rows: dict[str, list[tuple[float, float]]] = {}
        loads, sent = [], 0
        meter = CpuMeter([server.pid, nginx.pid])
        for round_no in range(1, args.runs + 1):
            started = time.monotonic()
            for name, page in pages.items():
                wrk(live + page, 2, args.connections)  # warm-up: caches, connections
                for server_name, base in (("live", live), ("nginx", static_base)):
                    rps, p99, _ = wrk(base + page, args.duration, args.connections)
                    rows.setdefault(f"{name}, {server_name}", []).append((rps, p99))
                    print(f"  {name}, {server_name}: {rps:.0f} req/s, p99 {p99:.1f} ms")
            for connections in (1, 4, args.connections):
                rps, p99, done = wrk(live + "/", args.duration, connections, lua, sent)
                rows.setdefault(f"search, {connections} conn(s), live", []).append((rps, p99))
                print(f"  search, {connections} conn(s): {rps:.0f} req/s, p99 {p99:.1f} ms")
                sent += done
            if sent > len(queries) <= args.workers * CACHE_ENTRIES:
                print(f"  warning: {sent} searches, {len(queries)} distinct: cache hits possible")
            others = meter.others() / (time.monotonic() - started)
            loads.append(f"{loadavg()} (others {others:.2f} CPUs)")
            print(f"  round {round_no} done, load average {loads[-1]}")
        report(rows, pages, loads)
    finally:
        server.terminate()
        server.wait(10)
        if nginx is not None:
            nginx.terminate()
            nginx.wait(10)


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):8.0f} ({min(values):.0f}-{max(values):.0f})"


def report(
    rows: dict[str, list[tuple[float, float]]], pages: dict[str, str], loads: list[str]
) -> None:
    print(
        f"\n{'endpoint, server':<34} {'req/s median (min-max)':>26} {'p99 ms median (min-max)':>30}"
    )
    for label, results in rows.items():
        rps = [r for r, _ in results]
        p99 = [p for _, p in results]
        lat = f"{statistics.median(p99):8.1f} ({min(p99):.1f}-{max(p99):.1f})"
        print(f"{label:<34} {spread(rps):>26} {lat:>30}")
    for name in pages:
        ratios = [
            live / static
            for (live, _), (static, _) in zip(
                rows[f"{name}, live"], rows[f"{name}, nginx"], strict=True
            )
        ]
        print(f"{name}: live at {statistics.median(ratios):.0%} of nginx "
              f"(rounds: {', '.join(f'{r:.0%}' for r in ratios)})")  # fmt: skip
    print("1-minute load average after each round (it counts wrk and both servers too),")
    print(f"and the CPUs other processes used meanwhile: {'; '.join(loads)}")


if __name__ == "__main__":
    main()

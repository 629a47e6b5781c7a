"""A small, bounded HTTP load generator for the bench, run in its own process: N threads send GET requests to
one URL on the loopback interface for a fixed time (and at most a fixed number of requests), then it prints one
JSON line: requests, errors, statuses, requests a second, p50/p95/p99 latency in milliseconds.

    python scripts/bench/load.py URL --auth none|digest|session [--user U --password P | --cookie C]
                                 [--threads 8] [--seconds 30] [--max-requests 200000]

HTTP Digest (RFC 7616, MD5, qop=auth) is spoken by hand: one challenge a thread, then each request signs with
the next nonce count, as Atlas clients do; a stale nonce is answered by taking the new challenge."""

import argparse
import hashlib
import http.client
import json
import os
import re
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

_CHALLENGE = re.compile(r'(\w+)=(?:"([^"]*)"|([^,\s]*))')


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324  # nosec B324  (Digest's MD5, what the clients use)


class DigestSigner:
    def __init__(self, user, password):
        self.user, self.password = user, password
        self.challenge = None
        self.nc = 0

    def take(self, header: str) -> None:
        self.challenge = {m[0].lower(): m[1] or m[2] for m in _CHALLENGE.findall(header.partition(" ")[2])}
        self.nc = 0

    def sign(self, method: str, uri: str) -> str:
        c = self.challenge
        self.nc += 1
        nc = f"{self.nc:08x}"
        cnonce = os.urandom(8).hex()
        ha1 = _md5(f"{self.user}:{c['realm']}:{self.password}")
        ha2 = _md5(f"{method}:{uri}")
        response = _md5(f"{ha1}:{c['nonce']}:{nc}:{cnonce}:auth:{ha2}")
        value = (
            f'Digest username="{self.user}", realm="{c["realm"]}", nonce="{c["nonce"]}", uri="{uri}", '
            f'response="{response}", qop=auth, nc={nc}, cnonce="{cnonce}", algorithm=MD5'
        )
        if c.get("opaque"):
            value += f', opaque="{c["opaque"]}"'
        return value


def _request(host, port, uri, headers):
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("GET", uri, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("WWW-Authenticate") or ""
    finally:
        connection.close()


def worker(args, deadline, budget, results, lock):
    parts = urlsplit(args.url)
    uri = parts.path + (f"?{parts.query}" if parts.query else "")
    host, port = parts.hostname, parts.port or 80
    base_headers = {"Accept": "application/json", "Host": f"{host}:{port}"}
    if args.auth == "session":
        base_headers["Cookie"] = args.cookie
    signer = DigestSigner(args.user, args.password) if args.auth == "digest" else None
    latencies, statuses, errors = [], {}, 0
    base_uri = uri
    while time.monotonic() < deadline:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
            sequence = budget[0]
        if args.fresh:  # a query parameter no request repeats: an address no cache has seen
            uri = f"{base_uri}{'&' if '?' in base_uri else '?'}{args.fresh}={sequence}"
        headers = dict(base_headers)
        if signer is not None:
            if signer.challenge is None:
                _, challenge = _request(host, port, uri, headers)  # not counted: the client's first contact
                signer.take(challenge)
            headers["Authorization"] = signer.sign("GET", uri)
        started = time.perf_counter()
        try:
            status, challenge = _request(host, port, uri, headers)
        except OSError:
            errors += 1
            continue
        latencies.append(time.perf_counter() - started)
        statuses[status] = statuses.get(status, 0) + 1
        if signer is not None and status == 401 and "stale=true" in challenge:
            signer.take(challenge)
    with lock:
        results.append((latencies, statuses, errors))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("--auth", choices=["none", "digest", "session"], default="none")
    parser.add_argument("--user", default="")
    parser.add_argument("--password", default="")
    parser.add_argument("--cookie", default="")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--fresh", default="", help="add this query parameter with a new value to each request")
    args = parser.parse_args(argv)
    if urlsplit(args.url).hostname not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("the load generator only targets the loopback interface")

    lock, budget, results = threading.Lock(), [args.max_requests], []
    started = time.monotonic()
    deadline = started + args.seconds
    threads = [
        threading.Thread(target=worker, args=(args, deadline, budget, results, lock))
        for _ in range(args.threads)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    latencies = sorted(latency for result in results for latency in result[0])
    statuses = {}
    for _, by_status, _ in results:
        for status, count in by_status.items():
            statuses[str(status)] = statuses.get(str(status), 0) + count

    def pct(q):
        if not latencies:
            return None
        return 1000 * latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": sum(result[2] for result in results),
                "statuses": statuses,
                "seconds": elapsed,
                "rps": len(latencies) / elapsed if elapsed else 0,
                "p50_ms": pct(0.50),
                "p95_ms": pct(0.95),
                "p99_ms": pct(0.99),
                "mean_ms": 1000 * statistics.fmean(latencies) if latencies else None,
                "threads": args.threads,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

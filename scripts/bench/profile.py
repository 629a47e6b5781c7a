"""`make profile`: where an API request spends its time. Seeds the bench's quick tenant on a fresh twin of the
configured database (as `make bench` does), then calls the WSGI application in this process for each load
scenario of the bench, many times, and prints for each the mean time and query count a request and a
pyinstrument profile of the lot (``--html DIR`` writes them as HTML pages too).

    python -m scripts.bench.profile [--requests 300] [--scenario NAME] [--html DIR] [--full] [--keep]

Nothing here is judged: it is the tool to find what the bench's load targets miss by."""

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

from .load import DigestSigner
from .run import ROOT, BenchDatabase, bench_environment, load_targets

SCENARIOS = (
    "unauthenticated 401",
    "root, Digest",
    "root, session",
    "users list of 100, Digest",
    "users list of 100, Digest, nothing kept",
)


def _environ(path: str, headers: dict) -> dict:
    uri, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": uri,
        "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_ACCEPT": "application/json",
    }
    environ.update({"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()})
    return environ


class Caller:
    """Calls the WSGI application as one client of the load generator would: Digest signs each request with the
    next nonce count of one challenge."""

    def __init__(self, application, path, auth):
        self.application, self.path, self.auth = application, path, auth
        self.sent = 0
        self.signer = None
        if auth.get("auth") == "digest":
            self.signer = DigestSigner(auth["user"], auth["password"])

    def call(self) -> int:
        headers = {}
        path = self.path
        if self.auth.get("fresh"):  # as the load generator: a new address each request
            self.sent += 1
            path += f"{'&' if '?' in path else '?'}{self.auth['fresh']}={self.sent}"
        if self.auth.get("auth") == "session":
            headers["Cookie"] = self.auth["cookie"]
        if self.signer is not None:
            if self.signer.challenge is None:
                self.signer.take(self._send(headers, path)[1])
            headers["Authorization"] = self.signer.sign("GET", path)
        status, challenge = self._send(headers, path)
        if self.signer is not None and status == 401 and "stale=true" in challenge:
            self.signer.take(challenge)
        return status

    def _send(self, headers, path) -> tuple[int, str]:
        answer = {}

        def start_response(status, response_headers, exc_info=None):
            answer["status"] = int(status.split()[0])
            answer["challenge"] = dict(response_headers).get("WWW-Authenticate", "")

        body = self.application(_environ(path, headers), start_response)
        for _ in body:
            pass
        if hasattr(body, "close"):
            body.close()
        return answer["status"], answer["challenge"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests a scenario (after 20 of warm-up)")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="only these (repeatable)")
    parser.add_argument("--html", help="also write each profile as HTML into this folder")
    parser.add_argument("--cprofile", type=int, default=0, help="also print cProfile's N costliest functions")
    parser.add_argument("--full", action="store_true", help="the bench's full tenant, not its quick one")
    parser.add_argument("--keep", action="store_true", help="keep the seeded database (to EXPLAIN its queries)")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="accessportal-profile-"))
    database = BenchDatabase(os.environ.get("DATABASE_URL", ""), workdir)
    bench_environment(database, "profile")
    database.create()
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.db import connection
    from pyinstrument import Profiler
    from rich.console import Console
    from rich.progress import Progress

    from . import seed

    console = Console()
    try:
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        with Progress(console=console, transient=True) as progress:
            tenant = seed.seed_main(seed.Sizes.for_run(1, not args.full), progress)
        if connection.vendor == "postgresql":  # as the bench does: plans made without statistics mislead
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        scenarios = load_targets(tenant)
        application = WSGIHandler()
        for name in args.scenario or SCENARIOS:
            path, auth = scenarios[name]
            caller = Caller(application, path, auth)
            statuses = {caller.call() for _ in range(20)}
            profiler = Profiler(interval=0.0005)
            queries = {}

            def count(execute, sql, params, many, context, queries=queries):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    spent = queries.setdefault(sql[:100], [0, 0.0])
                    spent[0] += 1
                    spent[1] += time.perf_counter() - started

            with connection.execute_wrapper(count):
                started, cpu = time.perf_counter(), time.process_time()
                profiler.start()
                for _ in range(args.requests):
                    statuses.add(caller.call())
                profiler.stop()
                seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            if args.cprofile:
                exact = cProfile.Profile(time.process_time)  # CPU: what a busy machine distorts least
                exact.runcall(lambda caller=caller: [caller.call() for _ in range(args.requests)])
            console.rule(
                f"{name}: {seconds / args.requests * 1000:.2f} ms ({cpu / args.requests * 1000:.2f} ms CPU) and "
                f"{sum(n for n, _ in queries.values()) / args.requests:.1f} queries a request, "
                f"statuses {sorted(statuses)}"
            )
            for sql, (n, spent) in sorted(queries.items(), key=lambda item: -item[1][1]):
                console.print(
                    f"  {n / args.requests:4.1f}× {spent / n * 1000:6.2f} ms  {sql}", highlight=False
                )
            console.print(profiler.output_text(unicode=True, color=False, show_all=False), highlight=False)
            if args.cprofile:
                out = io.StringIO()
                order = os.environ.get("PROFILE_SORT", "cumulative")  # or tottime
                pstats.Stats(exact, stream=out).sort_stats(order).print_stats(args.cprofile)
                print(out.getvalue())
            if args.html:
                Path(args.html).mkdir(parents=True, exist_ok=True)
                target = Path(args.html) / (name.replace(" ", "-").replace(",", "") + ".html")
                target.write_text(profiler.output_html())
    finally:
        if not args.keep:
            database.drop()
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())

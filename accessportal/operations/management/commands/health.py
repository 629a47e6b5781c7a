"""``manage.py health``: the health check of a Celery worker or beat container (they serve no HTTP). Runs the
database and broker checks in-process; exit status 0 when both pass, 1 otherwise (one line per check)."""

import asyncio

from django.core.management.base import BaseCommand, CommandError

from accessportal.operations.health import WORKER_CHECKS


class Command(BaseCommand):
    help = "Check that the database and the Celery broker answer; exit non-zero if either does not."

    def handle(self, *args, **options):
        results = asyncio.run(self._run())
        failed = [result for result in results if result.error]
        for result in results:
            line = f"{result.check!r}: {result.error or 'OK'}"
            (self.stderr if result.error else self.stdout).write(line)
        if failed:
            raise CommandError(f"{len(failed)} of {len(results)} health checks failed", returncode=1)

    @staticmethod
    async def _run():
        return await asyncio.gather(*(check().get_result() for check in WORKER_CHECKS))

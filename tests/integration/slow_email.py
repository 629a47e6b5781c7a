"""An email backend for the worker tests: the first message it is asked to send stalls (after writing the
worker process's pid to a marker file) so that the test can kill that process mid-task; later sends write
the message to EMAIL_FILE_PATH like Django's file backend."""

import os
import time

from django.conf import settings
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class SlowFirstEmailBackend(FileBackend):
    def send_messages(self, email_messages):
        marker = settings.SLOW_EMAIL_MARKER
        if not os.path.exists(marker):
            with open(marker, "w") as handle:
                handle.write(str(os.getpid()))
            time.sleep(60)
        return super().send_messages(email_messages)

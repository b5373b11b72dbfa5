"""A test-only e-mail backend: the file backend, slowed down once, so a test can kill the
worker while it is inside a delivery.

The first message sent by any process sharing ``SLOW_EMAIL_MARKER`` creates that file
(exclusively, so exactly one sender wins), writes its process id into it, and sleeps
``SLOW_EMAIL_SECONDS`` before writing the message; every later message is written at
once. The test waits for the marker, then kills the process it names (or its whole
worker) mid-send. Selected for a worker with
``EMAIL_BACKEND=tests.integration.slow_backend.SlowOnceEmailBackend``.
"""

import os
import time

from django.core.mail.backends.filebased import EmailBackend


class SlowOnceEmailBackend(EmailBackend):
    def send_messages(self, email_messages):
        marker = os.environ["SLOW_EMAIL_MARKER"]
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return super().send_messages(email_messages)
        with os.fdopen(fd, "w") as file:
            file.write(str(os.getpid()))
        time.sleep(float(os.environ.get("SLOW_EMAIL_SECONDS", "30")))
        return super().send_messages(email_messages)

"""Helpers for the integration tests: polling, and the e-mails the workers wrote."""

import email
import time
from email.message import Message
from pathlib import Path

import pytest

# Django's file backend ends every message with this line.
SEPARATOR = b"\n" + b"-" * 79 + b"\n"


def wait_until(predicate, *, timeout: float, what: str, interval: float = 0.1):
    """Poll ``predicate`` until it returns something truthy (which is returned), or fail."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def mails(mail_dir: Path) -> list[Message]:
    """Every message the file backend wrote under ``mail_dir``. Counted by message, not by
    file: the backend names a file after the time (to the second) and its own ``id()``,
    which two pool processes forked from one parent can share, and then it appends."""
    messages = []
    for path in sorted(mail_dir.iterdir()):
        for chunk in path.read_bytes().split(SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk))
    return messages


def mails_to(mail_dir: Path, address: str) -> list[Message]:
    return [message for message in mails(mail_dir) if address in message.get("To", "")]


def attachment_names(message: Message) -> list[str]:
    return [part.get_filename() for part in message.walk() if part.get_filename()]

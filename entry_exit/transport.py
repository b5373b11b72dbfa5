"""How an outbound file reaches the partner: a small interface, one class per way.

A transport takes a file name and the file's bytes and either delivers them or raises.
It must be safe to call twice with the same name and bytes (a send whose outcome was
unknown is retried with the same bytes). ``ENTRY_EXIT_TRANSPORT`` names the one in use:

* ``folder``: writes the file into ``ENTRY_EXIT_OUTBOX_DIR`` atomically (a temporary file
  in the same folder, flushed to disk, then renamed), so whatever picks files up there
  never sees half a file. For development, tests and a file-drop link.

To add one (an HTTPS push to the partner, say): write a class with ``name`` and
``send(*, file_name, body) -> str``, add it to ``TRANSPORTS`` and its name to
``ENTRY_EXIT_TRANSPORTS`` in settings.
"""

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from django.conf import settings


class Transport(Protocol):
    name: str

    def send(self, *, file_name: str, body: bytes) -> str:
        """Deliver the file; return where it went (no personal data). Raise on failure."""
        ...


class FolderTransport:
    name = "folder"

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def send(self, *, file_name: str, body: bytes) -> str:
        if Path(file_name).name != file_name or file_name.startswith("."):
            raise ValueError("A file name, not a path.")
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.directory / file_name
        handle, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as f:
                f.write(body)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        directory = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a crash
        finally:
            os.close(directory)
        return str(target)


TRANSPORTS: dict[str, Callable[[], Transport]] = {
    "folder": lambda: FolderTransport(settings.ENTRY_EXIT_OUTBOX_DIR),
}


def transport_get() -> Transport:
    return TRANSPORTS[settings.ENTRY_EXIT_TRANSPORT]()

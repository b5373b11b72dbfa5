"""The partners that send us batches, and how their requests are signed.

A partner is declared in ``ENTRY_EXIT_PARTNERS`` (settings, from the environment): its id,
the shared secret its requests are signed with, the ``sender`` its files' headers name and
the ``source`` its records are stored under. The secret is needed in clear to check an
HMAC, so it lives in the environment like ``SECRET_KEY``, never in the database or a log.

A request is signed (``docs/entry_exit_exchange.md``)::

    X-Partner-Id: cbp
    X-Timestamp:  1772463600                       (Unix seconds)
    X-Signature:  hex HMAC-SHA256(secret, timestamp + "\\n" + hex SHA-256(body))
"""

import hashlib
import hmac
from dataclasses import dataclass, field

from django.conf import settings

from entry_exit.choices import Source

# A request whose timestamp is further than this from our clock is refused; a signature
# is remembered this long after its timestamp (a replay past it is refused as too old).
SIGNATURE_WINDOW_SECONDS = 300
# The partner a file is imported for when the command is not told otherwise.
DEFAULT_PARTNER = "cbp"


@dataclass(frozen=True)
class Partner:
    name: str
    sender: str = "CBP"
    source: str = Source.US_PARTNER
    secret: str = field(default="", repr=False)


def partner_get(name: str) -> Partner | None:
    """The partner declared under ``name`` in ``ENTRY_EXIT_PARTNERS``, or None."""
    declared = settings.ENTRY_EXIT_PARTNERS.get(name) if isinstance(name, str) else None
    if not declared:
        return None
    return Partner(
        name=name,
        sender=declared.get("sender", "CBP"),
        source=Source(declared.get("source", Source.US_PARTNER)).value,
        secret=declared["secret"],
    )


def partner_for_files(name: str) -> Partner | None:
    """The partner a file is imported for: a declared one, or the US partner by default
    (a file needs no secret: whoever runs the command has the server)."""
    partner = partner_get(name)
    if partner is None and name == DEFAULT_PARTNER:
        return Partner(name=DEFAULT_PARTNER)
    return partner


def request_signature(*, secret: str, timestamp: str, body: bytes) -> str:
    message = f"{timestamp}\n{hashlib.sha256(body).hexdigest()}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(*, partner: Partner, body: bytes, timestamp: int) -> dict[str, str]:
    """The headers a partner sends with ``body`` (what a client, a test or the round trip
    needs)."""
    stamp = str(timestamp)
    return {
        "X-Partner-Id": partner.name,
        "X-Timestamp": stamp,
        "X-Signature": request_signature(secret=partner.secret, timestamp=stamp, body=body),
    }

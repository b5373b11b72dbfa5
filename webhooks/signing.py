"""How a delivery is signed, and how a receiver checks it (``docs/webhooks.md``).

``X-Nexus-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
HMAC-SHA256(secret, ``"<t>." + body``). The receiver recomputes it over the raw body,
compares in constant time, and refuses a timestamp too far from its clock (replays).
"""

import hashlib
import hmac

HEADER = "X-Nexus-Signature"


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def signature_valid(
    *, secret: str, header: str, body: bytes, now: int, tolerance: int = 300
) -> bool:
    """What a receiver does (used by the tests' receiver, and shown in the docs)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(parts.get("v1", ""), _digest(secret, timestamp, body))


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()

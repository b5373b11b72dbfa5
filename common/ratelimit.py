"""Lock-outs after repeated failures, counted in Django's cache.

A ``RateLimit`` counts failures per identity (for sign-in: username and client IP; for
the code step: the user). After ``limit`` failures within ``window`` seconds the
identity is locked until ``window`` seconds after the last counted failure; while it is
locked, callers refuse without checking anything, so a locked attempt never counts.
A success clears the count.

Cache keys are keyed HMACs of the identity (``salted_hmac`` with ``SECRET_KEY``), so
neither keys nor log lines hold a username or an address, and a key cannot be reversed by
hashing a list of likely usernames. In production the cache is Redis, shared by every
process; the development local-memory cache counts per process, which is enough there.

If the cache is unreachable (Redis down), a limit fails open: it counts nothing and
locks nobody, and says so in the log. Signing in and booking keep working through an
outage; the lock-outs resume with the cache.
"""

import logging
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.crypto import salted_hmac

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimit:
    scope: str
    limit: int = 5
    window: int = 15 * 60  # seconds

    def _key(self, *identity: str) -> str:
        # A unit separator keeps ("ab", "c") and ("a", "bc") apart.
        digest = salted_hmac(f"common.ratelimit.{self.scope}", "\x1f".join(identity)).hexdigest()
        return f"ratelimit:{self.scope}:{digest}"

    def is_locked(self, *identity: str) -> bool:
        try:
            return (cache.get(self._key(*identity)) or 0) >= self.limit
        except Exception as error:
            _unavailable(self.scope, error)
            return False

    def fail(self, *identity: str) -> bool:
        """Count one failure; True when the identity is now locked."""
        try:
            return self._fail(self._key(*identity))
        except Exception as error:
            _unavailable(self.scope, error)
            return False

    def _fail(self, key: str) -> bool:
        # add() then incr(): atomic on Redis and in local memory, and incr() keeps the
        # expiry that add() set, so the window runs from the first failure.
        cache.add(key, 0, timeout=self.window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=self.window)
            count = 1
        if count < self.limit:
            return False
        cache.set(key, count, timeout=self.window)  # locked for a full window from now
        logger.warning("%s locked out after %d failures (key %s)", self.scope, count, key[-12:])
        return True

    def clear(self, *identity: str) -> None:
        try:
            cache.delete(self._key(*identity))
        except Exception as error:
            _unavailable(self.scope, error)


def _unavailable(scope: str, error: Exception) -> None:
    logger.error("%s limit not applied: the cache is unreachable (%s)", scope, type(error).__name__)


SIGN_IN = RateLimit("sign-in")
OTP_CODE = RateLimit("otp-code")


def client_ip(request) -> str:
    """The peer address, never a client-supplied header (which anyone could vary per try).

    Behind a reverse proxy this is the proxy's address, which makes the sign-in lock in
    effect per username alone; such a deployment should set ``REMOTE_ADDR`` from the
    proxy's header in a middleware that trusts only that proxy.
    """
    return request.META.get("REMOTE_ADDR", "")

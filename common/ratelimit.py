"""Lock-outs after repeated failures, counted in Django's cache, and in the database
while the cache is unreachable.

A ``RateLimit`` counts failures per identity (for sign-in: username and client IP; for
the code step: the user). After ``limit`` failures within ``window`` seconds the
identity is locked until ``window`` seconds after the last counted failure; while it is
locked, callers refuse without checking anything, so a locked attempt never counts.
A success clears the count.

Cache keys are keyed HMACs of the identity (``salted_hmac`` with ``SECRET_KEY``), so
neither keys nor log lines hold a username or an address, and a key cannot be reversed by
hashing a list of likely usernames. In production the cache is Redis, shared by every
process; the development local-memory cache counts per process, which is enough there.

If the cache is unreachable (Redis down), a limit does not fail open: each operation the
cache refuses is done on a ``RateLimitCounter`` row under the same key instead, and the
log says so (with the limit's scope, never the key's identity). The database is shared by
every process like Redis, so the lock-outs hold through an outage: five wrong passwords
lock the account as they would with Redis up. Counting there is one conditional
``UPDATE`` (or an ``INSERT`` that loses cleanly to a concurrent one), so two processes
never lose a count. The rows are only consulted while the cache refuses; once it answers
again the cache alone decides (an outage's counts start again from zero there) and the
rows run out with their window. Expired rows are deleted by the next row inserted.

Because the fallback writes to the database, ``fail()`` must not be called inside a
transaction that the refusal then rolls back (count first, then open the transaction).

The API's throttles (``common/api.py``) are different: they fail open, logged.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac

from common.models import RateLimitCounter

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
        key = self._key(*identity)
        try:
            count = cache.get(key) or 0
        except Exception as error:
            _unavailable(self.scope, error)
            count = _stored_count(key)
        return count >= self.limit

    def fail(self, *identity: str) -> bool:
        """Count one failure; True when the identity is now locked."""
        key = self._key(*identity)
        try:
            count = self._cache_fail(key)
        except Exception as error:
            _unavailable(self.scope, error)
            count = self._stored_fail(key)
        if count < self.limit:
            return False
        logger.warning("%s locked out after %d failures (key %s)", self.scope, count, key[-12:])
        return True

    def clear(self, *identity: str) -> None:
        key = self._key(*identity)
        try:
            cache.delete(key)
        except Exception as error:
            _unavailable(self.scope, error)
            RateLimitCounter.objects.filter(key=key).delete()

    def _cache_fail(self, key: str) -> int:
        # add() then incr(): atomic on Redis and in local memory, and incr() keeps the
        # expiry that add() set, so the window runs from the first failure.
        cache.add(key, 0, timeout=self.window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, timeout=self.window)
            count = 1
        if count >= self.limit:
            cache.set(key, count, timeout=self.window)  # locked for a full window from now
        return count

    def _stored_fail(self, key: str) -> int:
        """The fallback of ``_cache_fail``: the same count, window and lock in a row.

        1. A running window: one more, by ``UPDATE … SET count = count + 1``.
        2. Else an expired row: restart it at 1, conditionally on its still being
           expired, so that of two processes restarting it at once the second finds a
           running window (PostgreSQL re-checks the condition after the first commits)
           and goes round again to add to it.
        3. Else no row: insert one, in a savepoint; if a concurrent insert won, go round
           again to add to that one. A new row also sweeps away expired ones, after the
           count's transaction.
        """
        counters = RateLimitCounter.objects
        window = timedelta(seconds=self.window)
        with transaction.atomic():
            for _attempt in range(3):
                now = timezone.now()
                running = counters.filter(key=key, expires_at__gt=now)
                if running.update(count=F("count") + 1):
                    break
                expired = counters.filter(key=key, expires_at__lte=now)
                if expired.update(count=1, expires_at=now + window):
                    break
                try:
                    with transaction.atomic():
                        counters.create(key=key, count=1, expires_at=now + window)
                except IntegrityError:
                    continue
                transaction.on_commit(_expired_counters_delete)
                break
            else:  # never seen: every round lost to a concurrent change
                raise RuntimeError(f"{self.scope}: could not count a failure")
            count = counters.values_list("count", flat=True).get(key=key)
            if count >= self.limit:  # locked for a full window from now
                counters.filter(key=key).update(expires_at=now + window)
        return count


def _expired_counters_delete(batch: int = 500) -> None:
    """Delete expired counter rows, a batch at a time, skipping rows another process has
    locked (one restarting its window): two sweeps at once never wait on each other."""
    with transaction.atomic():
        expired = list(
            RateLimitCounter.objects.select_for_update(skip_locked=True)
            .filter(expires_at__lte=timezone.now())
            .values_list("pk", flat=True)[:batch]
        )
        RateLimitCounter.objects.filter(pk__in=expired).delete()


def _stored_count(key: str) -> int:
    count = (
        RateLimitCounter.objects.filter(key=key, expires_at__gt=timezone.now())
        .values_list("count", flat=True)
        .first()
    )
    return count or 0


def _unavailable(scope: str, error: Exception) -> None:
    logger.error(
        "%s limit counted in the database: the cache is unreachable (%s)",
        scope,
        type(error).__name__,
    )


def client_ip(request) -> str:
    """The peer address, never a client-supplied header (which anyone could vary per try).

    Behind a reverse proxy this is the proxy's address, which makes the sign-in lock in
    effect per username alone; such a deployment should set ``REMOTE_ADDR`` from the
    proxy's header in a middleware that trusts only that proxy.
    """
    return request.META.get("REMOTE_ADDR", "")

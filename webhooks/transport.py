"""POSTing a delivery: only to a public address (unless settings allow private ones),
to the address just checked (no second DNS answer), HTTPS unless settings allow plain
HTTP, a short timeout, and no redirect followed (a 3xx is a failure)."""

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from webhooks.errors import WebhookError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str
    address: str  # the checked IP the connection goes to


@dataclass(frozen=True)
class Answer:
    status: int | None  # None: no HTTP answer at all
    error: str  # a short code ("timeout", "refused", "tls", "http_503"…), "" when 2xx
    duration_ms: int


def _refuse(message: str, code: str) -> WebhookError:
    return WebhookError(message, code=code, kind="invalid")


def _public(address: IPAddress) -> bool:
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None
            and not _public(address.ipv4_mapped))
    )  # fmt: skip


def target_check(url: str) -> Target:
    """Where ``url`` would be delivered; refused (``WebhookError``) when it is not HTTPS
    (unless ``WEBHOOK_ALLOW_HTTP``), does not resolve, or resolves to a private, loopback,
    link-local or otherwise non-public address (unless ``WEBHOOK_ALLOW_PRIVATE``)."""
    parts = urlsplit(url)
    allowed = {"https", "http"} if settings.WEBHOOK_ALLOW_HTTP else {"https"}
    if parts.scheme not in allowed or not parts.hostname:
        raise _refuse(_("The address must start with https://."), "not_https")
    if parts.username or parts.password:
        raise _refuse(_("The address must not contain a user name or password."), "credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _refuse(_("The address has an invalid port."), "bad_port") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _refuse(_("This host name does not resolve."), "unresolvable") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    if not settings.WEBHOOK_ALLOW_PRIVATE and not all(_public(a) for a in addresses):
        raise _refuse(
            _("The address resolves to a private, loopback or link-local network."),
            "private_address",
        )
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname, port, path, str(addresses[0]))


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a checked address, the certificate checked against the host name."""

    def __init__(self, target: Target, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = target.address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def post(target: Target, *, body: bytes, headers: dict[str, str]) -> Answer:
    """One POST; never raises for the receiver's faults (they are the answer)."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout)
    else:
        connection = http.client.HTTPConnection(target.address, target.port, timeout=timeout)
    host = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    started = time.monotonic()
    status: int | None = None
    error = ""
    try:
        connection.request("POST", target.path, body=body, headers={**headers, "Host": host})
        response = connection.getresponse()
        response.read(64 * 1024)  # a little of the answer, never kept
        status = response.status
        error = "" if 200 <= status < 300 else f"http_{status}"
    except TimeoutError:
        error = "timeout"
    except ssl.SSLError:
        error = "tls"
    except ConnectionRefusedError:
        error = "refused"
    except (OSError, http.client.HTTPException) as exc:
        error = type(exc).__name__[:40]
    finally:
        connection.close()
    return Answer(status, error, round((time.monotonic() - started) * 1000))

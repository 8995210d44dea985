"""Fetching the picture behind an Open311 `media_url`, safely.

The address comes from outside, so the fetch is guarded against server-side request forgery:
only http and https; every address the host name resolves to must be public (no private,
loopback, link-local, shared, reserved or multicast addresses, including IPv4 inside IPv6),
and the connection goes to the address that was checked, so a second DNS answer cannot swap it
(DNS rebinding); redirects are followed a few times, each hop checked the same way; only
allowed ports; a size cap (checked on Content-Length and while reading) and an overall
deadline. What arrives is judged by its bytes (`validation.photo_check`), never by its
Content-Type. `MediaPolicy.allow_private` exists for tests that serve pictures from loopback.

Errors are `MediaFetchFailed(code, detail, transient)`: transient ones (network, timeouts, 5xx)
are worth another try later; the others are final."""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from .validation import PHOTO_MAX_BYTES

USER_AGENT = "Qyzmet-media-fetch/1 (+Open311 media_url)"
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class MediaPolicy:
    max_bytes: int = PHOTO_MAX_BYTES
    timeout: float = 10.0
    max_redirects: int = 3
    ports: tuple[int, ...] | None = (80, 443, 8080, 8443)  # None: any port
    allow_private: bool = False


def policy_from_settings() -> MediaPolicy:
    """The deployment's policy: QYZMET_MEDIA_FETCH_* settings over the safe defaults."""
    default = MediaPolicy()
    ports = getattr(settings, "QYZMET_MEDIA_FETCH_PORTS", default.ports)
    return MediaPolicy(
        max_bytes=int(getattr(settings, "QYZMET_MEDIA_FETCH_MAX_BYTES", default.max_bytes)),
        timeout=float(getattr(settings, "QYZMET_MEDIA_FETCH_TIMEOUT", default.timeout)),
        max_redirects=int(
            getattr(settings, "QYZMET_MEDIA_FETCH_MAX_REDIRECTS", default.max_redirects)
        ),
        ports=tuple(ports) if ports is not None else None,
        allow_private=bool(getattr(settings, "QYZMET_MEDIA_FETCH_ALLOW_PRIVATE", False)),
    )


class MediaFetchFailed(Exception):
    """`code` is stable (shown to officers translated), `detail` says more (a status, a host)."""

    def __init__(self, code: str, detail: str = "", *, transient: bool = False):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.transient = transient


def address_allowed(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A public unicast address (IPv4 carried inside IPv6 is judged as IPv4)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or (ip.sixtofour if ip.sixtofour else None)
        if inner is None and ip.teredo:
            inner = ip.teredo[1]
        if inner is not None:
            return address_allowed(inner)
    return ip.is_global and not ip.is_multicast


def _resolve(host: str, port: int, policy: MediaPolicy) -> str:
    """The address to connect to; every address the name has must be allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise MediaFetchFailed("dns", host, transient=True) from exc
    addresses = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        addresses.append(ipaddress.ip_address(raw))
    if not addresses:
        raise MediaFetchFailed("dns", host, transient=True)
    if not policy.allow_private and not all(address_allowed(ip) for ip in addresses):
        raise MediaFetchFailed("address_not_allowed", host)
    return str(addresses[0])


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked address while speaking to the host by name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """TLS to the checked address, with the certificate checked against the host name."""

    def __init__(
        self, host: str, port: int, *, address: str, timeout: float, context: ssl.SSLContext
    ):
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


def _read(response: http.client.HTTPResponse, policy: MediaPolicy, deadline: float) -> bytes:
    length = response.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > policy.max_bytes:
        raise MediaFetchFailed("too_large", length)
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise MediaFetchFailed("timeout", transient=True)
        chunk = response.read(64 * 1024)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > policy.max_bytes:
            raise MediaFetchFailed("too_large", f">{policy.max_bytes}")
        chunks.append(chunk)


def media_download(url: str, *, policy: MediaPolicy) -> bytes:
    """The bytes at `url` under `policy`, or MediaFetchFailed."""
    deadline = time.monotonic() + policy.timeout
    for _hop in range(policy.max_redirects + 1):
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise MediaFetchFailed("bad_url") from exc
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https") or not parts.hostname or parts.username is not None:
            raise MediaFetchFailed("bad_url", scheme)
        port = port or (443 if scheme == "https" else 80)
        if policy.ports is not None and port not in policy.ports:
            raise MediaFetchFailed("port_not_allowed", str(port))
        address = _resolve(parts.hostname, port, policy)
        remaining = max(0.5, deadline - time.monotonic())
        if scheme == "https":
            conn: http.client.HTTPConnection = _PinnedHTTPSConnection(
                parts.hostname,
                port,
                address=address,
                timeout=remaining,
                context=ssl.create_default_context(),
            )
        else:
            conn = _PinnedHTTPConnection(parts.hostname, port, address=address, timeout=remaining)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request(
                "GET",
                target,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": "image/jpeg, image/png",
                    "Accept-Encoding": "identity",
                },
            )
            response = conn.getresponse()
            if response.status in REDIRECTS:
                location = response.getheader("Location")
                if not location:
                    raise MediaFetchFailed("http_status", str(response.status))
                url = urljoin(url, location)
                continue
            if response.status != 200:
                raise MediaFetchFailed(
                    "http_status",
                    str(response.status),
                    transient=response.status >= 500 or response.status == 429,
                )
            return _read(response, policy, deadline)
        except MediaFetchFailed:
            raise
        except ssl.SSLError as exc:
            raise MediaFetchFailed("tls", type(exc).__name__) from exc
        except TimeoutError as exc:
            raise MediaFetchFailed("timeout", transient=True) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise MediaFetchFailed("network", type(exc).__name__, transient=True) from exc
        finally:
            conn.close()
    raise MediaFetchFailed("too_many_redirects", str(policy.max_redirects))

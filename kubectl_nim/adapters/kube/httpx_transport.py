"""The fast transport: a bearer token or client certificate over httpx, no `kubernetes` import.

What `oc login` writes and what in-cluster service accounts use. Its own module because the TLS
context (CA files, embedded certificate data, the system trust store) and the proxy handling are
most of its weight and concern only this transport.
"""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from typing import Any

from kubectl_nim import log
from kubectl_nim.adapters.kube.transport import Unreachable, broken_off, classify, user_agent
from kubectl_nim.errors import ClusterError

# A request unanswered this long gets one notice on stderr (once per connection, i.e. per
# command), so a hanging API server is not up to --request-timeout of silence.
SLOW_NOTICE_AFTER = 5.0


class HttpxTransport:
    """The fast path: bearer token or client certificate over httpx, no `kubernetes` import."""

    def __init__(self, endpoint, timeout: float | None, slow_notice_after: float | None = None,
                 environ=None):
        from kubectl_nim.adapters.kube import kubeconfig
        from kubectl_nim.adapters import netenv

        httpx = self._httpx = netenv.import_httpx()
        self.server = endpoint.server
        self.proxy = netenv.proxy_for(endpoint.server, endpoint.proxy_url,
                                      os.environ if environ is None else environ)
        self.slow_notice_after = SLOW_NOTICE_AFTER if slow_notice_after is None \
            else slow_notice_after
        if self.proxy:
            log.debug(f"through the proxy {netenv.display(self.proxy)}"
                      + (" (the kubeconfig's proxy-url)" if endpoint.proxy_url else ""))
        self.timeout = timeout
        self._slow_noticed = False  # one "has not answered" notice per connection
        headers = [("User-Agent", user_agent()), ("Accept", "application/json")]
        if endpoint.token:
            headers.append(("Authorization", f"Bearer {endpoint.token}"))
        headers += kubeconfig.impersonation_headers(endpoint.impersonate_user,
                                                    endpoint.impersonate_groups)
        # trust_env=False: the proxy was chosen above the way kubectl chooses it (NO_PROXY with
        # CIDRs, loopback never proxied), which httpx's own environment handling does not do.
        # Plain http with nothing configured for TLS: no context (the system CA store alone
        # costs ~20 ms to load). A configured CA or certificate is read even then, as kubectl
        # does, so a wrong path is reported the same way on every server.
        tls = endpoint.server.startswith("https:") or any(
            (endpoint.ca_file, endpoint.ca_data, endpoint.cert_file, endpoint.cert_data))
        try:
            self._client = httpx.Client(base_url=endpoint.server, headers=headers,
                                        verify=_checked_ssl_context(endpoint) if tls else False,
                                        timeout=timeout, follow_redirects=False,
                                        proxy=self.proxy, trust_env=False)
        except ImportError as e:  # socks support missing from this installation
            raise ClusterError(f"cannot use the proxy {netenv.display(self.proxy)}: {e}",
                               hint="install kubectl-nim with its socks extra "
                                    "(`pip install httpx[socks]`)") from None

    def _say_slow(self, waited: float) -> None:
        if self._slow_noticed:
            return
        self._slow_noticed = True
        limit = f"up to {self.timeout:g}s" if self.timeout else "without a limit"
        log.notice(f"The API server at {self.server} has not answered for {waited:g}s; "
                   f"waiting {limit} (--request-timeout changes that)...")

    def send(self, method: str, url: str, body: Any, headers: dict) -> tuple[int, bytes, str | None]:
        content = None if body is None else json.dumps(body).encode()
        timer = None
        after = self.slow_notice_after
        if not self._slow_noticed and (not self.timeout or self.timeout > after):
            import threading

            timer = threading.Timer(after, self._say_slow, (after,))
            timer.daemon = True
            timer.start()
        try:
            return self._send(method, url, content, headers)
        finally:
            if timer is not None:
                timer.cancel()

    def _send(self, method: str, url: str, content: bytes | None,
              headers: dict) -> tuple[int, bytes, str | None]:
        httpx = self._httpx
        try:
            response = self._client.request(method, url, content=content, headers=headers)
        except httpx.TimeoutException:
            raise Unreachable("timeout", "timed out") from None
        except httpx.ProxyError as e:
            raise Unreachable("proxy", _proxy_detail(self.proxy, e)) from None
        except httpx.ConnectError as e:
            if self.proxy and (_socks_failure(e) or classify(str(e))[0] in ("refused", "dns")):
                # Through a proxy the only connection we open is to the proxy: a refused or
                # unknown host is the proxy's (the proxy reports the cluster's own as a
                # ProxyError or an HTTP status), so name the proxy, not the cluster.
                raise Unreachable("proxy", _proxy_detail(self.proxy, e)) from None
            raise Unreachable(*classify(str(e))) from None
        except httpx.TransportError as e:
            raise Unreachable(*broken_off(str(e) or type(e).__name__)) from None
        return response.status_code, response.content, response.headers.get("Retry-After")

    @contextmanager
    def stream(self, method: str, url: str, headers: dict):
        """(status, byte chunks) of an answer read as it arrives: no read timeout (a followed
        log may stay quiet for minutes), the usual one for connecting."""
        httpx = self._httpx
        try:
            with self._client.stream(method, url, headers=headers,
                                     timeout=httpx.Timeout(self.timeout, read=None)) as response:
                yield response.status_code, response.iter_bytes()
        except httpx.TimeoutException:
            raise Unreachable("timeout", "timed out") from None
        except httpx.ConnectError as e:
            raise Unreachable(*classify(str(e))) from None
        except httpx.TransportError as e:
            raise Unreachable(*broken_off(str(e) or type(e).__name__)) from None


def _proxy_detail(proxy: str | None, error: Exception) -> str:
    from kubectl_nim.adapters import netenv

    detail = classify(str(error))[1]
    return f"{netenv.display(proxy)} ({detail or type(error).__name__})"


def _socks_failure(error: Exception) -> bool:
    return "socks" in type(error).__name__.lower() or "socks" in str(error).lower()

def _checked_ssl_context(endpoint):
    """_ssl_context, with a missing or unreadable CA / client certificate file (or bad PEM data)
    reported as one line naming the file, not an unexpected OSError."""
    import ssl

    try:
        return _ssl_context(endpoint)
    except (OSError, ssl.SSLError, ValueError) as e:
        files = [f for f in (endpoint.ca_file, endpoint.cert_file, endpoint.key_file) if f]
        named = getattr(e, "filename", None) or ", ".join(files) or "embedded certificate data"
        reason = getattr(e, "strerror", None) or getattr(e, "reason", None) or str(e)
        raise ClusterError(f"cannot load the TLS files of kubeconfig context {endpoint.context} "
                           f"({named}): {reason}",
                           hint="check certificate-authority, client-certificate and client-key "
                                "in your kubeconfig", never_sent=True) from None


def _ssl_context(endpoint):
    import ssl
    import tempfile

    if endpoint.insecure:
        # Nothing to verify against: skip loading any CA store (~20 ms for the system one).
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif endpoint.ca_data:
        context = ssl.create_default_context(cadata=endpoint.ca_data.decode("ascii", "replace"))
    elif endpoint.ca_file:
        try:
            context = ssl.create_default_context(cafile=endpoint.ca_file)
        except OSError as e:
            raise ClusterError(f"cannot read the certificate authority {endpoint.ca_file}: "
                               f"{e.strerror or e}",
                               hint="check certificate-authority in the kubeconfig or "
                                    "--certificate-authority") from None
    else:
        from kubectl_nim.adapters import netenv

        context = netenv.system_trust_context()
    cert, key = endpoint.cert_file, endpoint.key_file
    if endpoint.cert_data or endpoint.key_data:
        # ssl only loads client certificates from files: write them private, load, delete.
        with tempfile.TemporaryDirectory() as tmp:
            if endpoint.cert_data:
                cert = _private_file(tmp, "client.crt", endpoint.cert_data)
            if endpoint.key_data:
                key = _private_file(tmp, "client.key", endpoint.key_data)
            context.load_cert_chain(cert, key)
    elif cert:
        context.load_cert_chain(cert, key)
    return context


def _private_file(directory: str, name: str, data: bytes) -> str:
    path = os.path.join(directory, name)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return path

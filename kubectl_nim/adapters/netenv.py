"""How a connection leaves this machine: which proxy (kubectl's rules) and which CAs to trust.

Proxies. kubectl (Go's net/http) picks the proxy for an API server like this, and so do we:
the cluster's `proxy-url` in the kubeconfig, when set, is used for every request to it; else
HTTPS_PROXY (https servers) or HTTP_PROXY (http servers), upper case first, unless NO_PROXY
matches the host. NO_PROXY entries are `*`, IP addresses, CIDR ranges (`127.0.0.0/8`,
`172.30.0.0/16`: OpenShift sets these in pods), host names (matching sub-domains too) and
`.domain` (sub-domains only), each with an optional `:port`. `localhost` and loopback addresses
never go through a proxy. httpx's own environment handling knows no CIDRs, hence this module.

Trust. Without a CA in the kubeconfig, the API server's certificate is checked against the
operating system's trust store (`truststore`: the macOS keychain, Windows' store, the Linux
distribution's bundle wherever it lives), so a binary built on one distribution works on
another; when `truststore` is unavailable (Python < 3.10) OpenSSL's default paths are used,
then certifi's bundle if those hold nothing. SSL_CERT_FILE / SSL_CERT_DIR are honoured by both.
Imported only when a connection is built: `--help` and `models --offline` never pay for it.
"""

from __future__ import annotations

import ipaddress
from typing import Mapping, Optional
from urllib.parse import urlsplit, urlunsplit


def import_httpx():
    """httpx, without its command-line client: `httpx/__init__.py` imports `httpx._main`
    (click, rich, pygments) when rich is installed, ~30-40 ms of every cluster verb for code we
    never run. A None entry in sys.modules makes that import fail, which httpx handles."""
    import sys

    if "httpx" not in sys.modules:
        sys.modules.setdefault("httpx._main", None)
    import httpx

    return httpx


def _env(environ: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return ""


def _host_port(url: str) -> tuple[str, Optional[int]]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme)
    except ValueError:
        port = None
    return host, port


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def no_proxy_matches(host: str, port: Optional[int], no_proxy: str) -> bool:
    """Whether NO_PROXY (comma separated, Go's syntax) exempts host:port from the proxy."""
    host = host.lower().strip("[]")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if "/" in entry:
            try:
                network = ipaddress.ip_network(entry, strict=False)
            except ValueError:
                continue
            if ip is not None and ip.version == network.version and ip in network:
                return True
            continue
        try:
            if ip is not None and ipaddress.ip_address(entry.strip("[]")) == ip:
                return True
            ipaddress.ip_address(entry.strip("[]"))
            continue  # an address that is not ours
        except ValueError:
            pass
        name, entry_port = entry, None
        if entry.count(":") == 1:
            name, _, port_text = entry.partition(":")
            if not port_text.isdigit():
                continue
            entry_port = int(port_text)
        if entry_port is not None and entry_port != port:
            continue
        if name.startswith("*."):
            name = name[1:]
        if name.startswith("."):
            if host.endswith(name):
                return True
        elif host == name or host.endswith("." + name):
            return True
    return False


def proxy_for(server: str, proxy_url: Optional[str], environ: Mapping[str, str]) -> Optional[str]:
    """The proxy URL requests to `server` go through, or None for a direct connection."""
    if proxy_url:
        return proxy_url
    host, port = _host_port(server)
    if not host or _is_loopback(host):
        return None
    scheme = urlsplit(server).scheme
    proxy = _env(environ, "HTTPS_PROXY", "https_proxy") if scheme == "https" else \
        _env(environ, "HTTP_PROXY", "http_proxy")
    if not proxy:
        return None
    if no_proxy_matches(host, port, _env(environ, "NO_PROXY", "no_proxy")):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"  # Go reads a bare host as http


def display(proxy: Optional[str]) -> str:
    """A proxy URL fit for an error message: credentials removed."""
    if not proxy:
        return "<none>"
    parts = urlsplit(proxy)
    if parts.username or parts.password:
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def system_trust_context():
    """An SSLContext that verifies against the operating system's trust store."""
    import ssl

    try:
        import truststore
    except ImportError:
        truststore = None
    from kubectl_nim import log

    if truststore is not None:
        log.debug("TLS trust: the system trust store (truststore)")
        return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context = ssl.create_default_context()
    if not context.cert_store_stats().get("x509_ca"):
        try:
            import certifi
        except ImportError:
            log.debug("TLS trust: OpenSSL's default paths, which hold no CA")
            return context
        log.debug("TLS trust: certifi's bundle (OpenSSL's default paths hold no CA)")
        context.load_verify_locations(cafile=certifi.where())
        return context
    log.debug("TLS trust: OpenSSL's default paths")
    return context


def read_pem_file(path: str) -> str:
    """A CA bundle file's text (`--ca-bundle FILE`); UsageError when it cannot be read."""
    from kubectl_nim.errors import UsageError

    try:
        with open(path, encoding="ascii") as f:
            return f.read(1024 * 1024 + 1)[:1024 * 1024]
    except (OSError, UnicodeDecodeError) as e:
        reason = getattr(e, "strerror", None) or "not a PEM text file"
        raise UsageError(f"cannot read the CA bundle {path}: {reason}",
                         hint="give a PEM file, or --ca-bundle cluster") from None


def ssl_context_with(pem: str):
    """OpenSSL's default CAs plus those of `pem` (a proxy's own CA, which re-signs NVIDIA's
    certificate); ValueError when `pem` holds no certificate."""
    import ssl

    context = ssl.create_default_context()
    try:
        context.load_verify_locations(cadata=pem)
    except ssl.SSLError as e:
        raise ValueError(f"the CA bundle holds no usable certificate ({e.reason})") from None
    return context

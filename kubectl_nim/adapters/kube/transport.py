"""What the two transports (httpx_transport, kubernetes_transport) share: the one failure type
they raise when no HTTP answer came back, how a low-level error text is classified into it, and
the User-Agent they send.

The request path (`cluster.Cluster`) maps an `Unreachable` to a `ClusterError` (timed out, never
sent, through a proxy...) the same way whichever transport raised it.
"""

from __future__ import annotations


class Unreachable(Exception):
    """A transport could not get an HTTP answer: kind is timeout, refused, dns, tls, dropped (the
    connection closed with no answer, as a restarting API server does) or other."""

    def __init__(self, kind: str, detail: str):
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def classify(text: str) -> tuple[str, str]:
    """(kind, detail) of a connection error's text, for `Unreachable`."""
    lowered = text.lower()
    if "refused" in lowered:
        return "refused", "connection refused"
    if "name or service not known" in lowered or "nodename nor servname" in lowered or \
            "name resolution" in lowered:
        return "dns", "host name not found"
    if "certificate" in lowered or "ssl" in lowered:
        return "tls", text.splitlines()[-1] if text else "TLS failure"
    if "timed out" in lowered:
        return "timeout", "timed out"
    return broken_off(text)


DROPPED = "the connection closed without an answer"


def broken_off(text: str) -> tuple[str, str]:
    """(kind, detail) of a failure after the connection was made (a read or protocol error):
    `dropped` when the words say the connection closed with no answer, else `other`."""
    if any(words in text.lower() for words in _DROPPED):
        return "dropped", DROPPED
    return "other", text


# httpx/httpcore ("Server disconnected without sending a response."), urllib3 and http.client
# ("Remote end closed connection without response", "Connection aborted", resets).
_DROPPED = ("disconnected without", "closed connection without", "connection reset",
            "connection aborted", "broken pipe")


def user_agent() -> str:
    from kubectl_nim import __version__

    return f"kubectl-nim/{__version__}"

"""How a call to NVIDIA fails: the errors the NGC client raises and the words it uses for them.

Separate from the client (ngc.py) so that the one table of causes (refused, DNS, TLS, proxy,
timeout) and hints is read in one place, and the retry loop only decides *when* to give up.
"""

from __future__ import annotations

from typing import Optional

from kubectl_nim.domain.keys import PERSONAL_KEYS_URL
from kubectl_nim.errors import KeyRejected, NimError, NvidiaUnreachable

KEY_HINTS = {
    401: f"check that it is a current personal key (nvapi-...), neither revoked nor expired; "
         f"create one at {PERSONAL_KEYS_URL}",
    403: f"the key is not allowed to do this; use a personal key with the NGC Catalog service, "
         f"created at {PERSONAL_KEYS_URL}",
}


class ModelUnavailable(NimError):
    """HTTP 451: NVIDIA does not serve this model where the request came from (EU restriction)."""

    def __init__(self, resource_id: str):
        super().__init__(f"NVIDIA does not serve {resource_id} from this location "
                         f"(HTTP 451 Unavailable For Legal Reasons)")
        self.resource_id = resource_id


class RetriesExhausted(NvidiaUnreachable):
    """Every attempt failed in a retryable way; `status` is the last HTTP status, None when the
    last attempt got no answer at all (timeout, refused connection). `cause` is the short form,
    e.g. "HTTP 503 after 5 attempts"."""

    def __init__(self, message: str, hint: str, cause: str, status: Optional[int]):
        super().__init__(message, hint=hint)
        self.cause = cause
        self.status = status


class Retryable(Exception):
    """An attempt that failed in a way worth repeating (internal to the client's retry loop)."""

    def __init__(self, cause: str, status: Optional[int] = None,
                 retry_after: Optional[float] = None):
        super().__init__(cause)
        self.cause = cause
        self.status = status
        self.retry_after = retry_after

NETWORK_HINT = ("check the network path to NVIDIA (HTTPS_PROXY, NO_PROXY and SSL_CERT_FILE are "
                 "honoured) and retry; --ngc-api-url overrides the endpoint")

DNS_FAILURES = ("name or service not known", "nodename nor servname", "name resolution",
                 "getaddrinfo failed", "no address associated")


def transport_cause(error: Exception, timeout: Optional[float]) -> tuple[str, bool]:
    """A plain-words cause for a transport failure, and whether retrying could help."""
    import httpx

    text = str(error)
    lowered = text.lower()
    if isinstance(error, httpx.TimeoutException):
        return (f"timed out after {timeout:g}s" if timeout else "timed out"), True
    if "certificate_verify_failed" in lowered or "certificate verify failed" in lowered:
        return ("TLS certificate verification failed (set SSL_CERT_FILE to the CA bundle of a "
                "proxy that re-signs traffic)"), False
    if isinstance(error, httpx.ProxyError):
        return f"the proxy failed ({text or type(error).__name__})", False
    if "refused" in lowered:
        return "connection refused", True
    if any(marker in lowered for marker in DNS_FAILURES):
        return "the host name could not be resolved", True
    return f"connection failed ({text or type(error).__name__})", True


def unreachable_message(host: str, cause: str) -> str:
    return f"NVIDIA could not be reached at {host}: {cause}"


def gave_up(host: str, failure: Retryable, attempts: int) -> RetriesExhausted:
    tries = f"{attempts} attempt{'' if attempts == 1 else 's'}"
    if failure.status:
        cause = f"{failure.cause} after {tries}"  # "HTTP 503 after 5 attempts"
    else:
        cause = f"{failure.cause} ({tries})" if attempts > 1 else failure.cause
    return RetriesExhausted(unreachable_message(host, cause), hint=NETWORK_HINT,
                            cause=cause, status=failure.status)


def refusal(method: str, path: str, status: int, *, key_sent: bool, host: str, base_url: str,
            default_url: str) -> NimError:
    """The error for a non-retryable, non-2xx answer."""
    if key_sent and status in KEY_HINTS:
        return KeyRejected(f"NVIDIA rejected the API key (HTTP {status})",
                           hint=KEY_HINTS[status])
    if status == 451:
        return NimError(
            f"NVIDIA refuses {method} {path} from this location (HTTP 451 Unavailable For "
            f"Legal Reasons): NVIDIA restricts some services by region, the European Union "
            f"among them", hint="run it from an unrestricted location or through a proxy "
                                "there (HTTPS_PROXY), or ask NVIDIA about your account")
    if status in (404, 405):
        # Not NVIDIA's API at all (a wrong --ngc-api-url, a proxy's page): exit 3, as for an
        # NVIDIA that cannot be reached, so CI can tell it from a rejected key (exit 1).
        return NvidiaUnreachable(
            unreachable_message(host, f"HTTP {status} to {method} {path}, which NVIDIA's "
                                      f"API serves"),
            hint=f"check --ngc-api-url / NGC_API_URL (now {base_url}); the default "
                 f"is {default_url}")
    return NimError(f"NVIDIA answered HTTP {status} to {method} {path}")

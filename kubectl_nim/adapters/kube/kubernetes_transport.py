"""The slow but complete transport: the `kubernetes` package's ApiClient.

Only for kubeconfigs the httpx transport cannot serve (exec plugins, auth providers, basic auth):
importing `kubernetes` costs 200-300 ms (BENCHMARKS.md, "kubernetes client options"), so this
module is imported only when `kubeconfig.find_endpoint` says such a kubeconfig is in use.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from typing import Any

from kubectl_nim import log
from kubectl_nim.adapters.kube.transport import Unreachable, broken_off, classify, user_agent
from kubectl_nim.errors import ClusterError


class KubernetesTransport:
    """The `kubernetes` package's ApiClient: exec plugins, auth providers, basic auth.

    Raw JSON requests, never the typed API classes: in v37 their first use costs ~0.5 s more
    (BENCHMARKS.md, "kubernetes client options").
    """

    def __init__(self, kubeconfig_paths: str, context: str | None, timeout: float | None,
                 overrides=None, impersonate: tuple = (None, ())):
        from kubernetes import client
        from kubernetes.config import kube_config
        from kubernetes.config.config_exception import ConfigException
        import urllib3

        # urllib3 logs each retry as a WARNING through Python's last-resort handler: noise on
        # stderr next to our one-line error. Keep it for -vv.
        logging.getLogger("urllib3").setLevel(logging.DEBUG if log.verbosity() >= 2
                                              else logging.ERROR)
        configuration = client.Configuration()
        # One timeout per request, never urllib3's silent read retries (a hang must cost one
        # timeout, not four); connection errors get one more try.
        configuration.retries = urllib3.Retry(total=1, connect=1, read=0, status=0, redirect=0)
        try:
            loader = kube_config._get_kube_config_loader(
                filename=kubeconfig_paths, active_context=context, persist_config=False)
            loader.load_and_set(configuration)
        except (ConfigException, OSError, ValueError) as e:
            raise ClusterError(f"cannot load the cluster configuration: {e}",
                               hint="check --kubeconfig, $KUBECONFIG and --context") from None
        self.namespace = loader.current_context.get("context", {}).get("namespace")
        self.context = loader.current_context.get("name")
        self._override(configuration, overrides)
        self.server = configuration.host
        self.timeout = timeout
        self.api_client = client.ApiClient(configuration)
        self.api_client.user_agent = user_agent()
        self._impersonate(impersonate)

    @staticmethod
    def _override(configuration, o) -> None:
        """kubectl's connection flags over what the loader read (--token never gets here)."""
        if o is None:
            return
        if o.server:
            configuration.host = o.server.rstrip("/")
        if o.certificate_authority:
            configuration.ssl_ca_cert = os.path.abspath(o.certificate_authority)
            configuration.verify_ssl = True
        if o.insecure_skip_tls_verify:
            configuration.verify_ssl = False

    def _impersonate(self, impersonate: tuple) -> None:
        """The loader ignores `as`/`as-groups`: our own reading of the kubeconfig found them."""
        from kubectl_nim.adapters.kube import kubeconfig

        headers = kubeconfig.impersonation_headers(*impersonate)
        if len([h for h in headers if h[0] == "Impersonate-Group"]) > 1:
            # urllib3's default headers are a dict: one line per group cannot be sent.
            raise ClusterError("impersonating several groups is not supported with this "
                               "kubeconfig's credentials (exec plugin or auth provider)",
                               hint="impersonate one group, or use a token kubeconfig")
        for name, value in headers:
            self.api_client.set_default_header(name, value)

    def send(self, method: str, url: str, body: Any, headers: dict) -> tuple[int, bytes, str | None]:
        import urllib3

        method_, full_url, headers, body, _ = self.api_client.param_serialize(
            method, url, header_params=dict(headers), body=body, auth_settings=["BearerToken"])
        try:
            response = self.api_client.call_api(method_, full_url, header_params=headers,
                                                body=body, _request_timeout=self.timeout)
            data = response.read()
        except (urllib3.exceptions.MaxRetryError, urllib3.exceptions.TimeoutError,
                urllib3.exceptions.ProtocolError, urllib3.exceptions.NewConnectionError) as e:
            cause = getattr(e, "reason", None) or e
            if "timeout" in type(cause).__name__.lower() or "timed out" in str(cause).lower():
                raise Unreachable("timeout", "timed out") from None
            raise Unreachable(*classify(str(cause))) from None
        except Exception as e:  # the client wraps SSL errors in ApiException(status=0)
            if getattr(e, "status", None) == 0:
                raise Unreachable("tls", str(getattr(e, "reason", e)).splitlines()[-1]) from None
            raise
        return response.status, data, response.headers.get("Retry-After")

    @contextmanager
    def stream(self, method: str, url: str, headers: dict):
        import urllib3

        method_, full_url, headers, body, _ = self.api_client.param_serialize(
            method, url, header_params=dict(headers), auth_settings=["BearerToken"])
        try:
            response = self.api_client.call_api(
                method_, full_url, header_params=headers,
                _request_timeout=(self.timeout, None) if self.timeout else None)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise Unreachable(*classify(str(getattr(e, "reason", None) or e))) from None
        raw = response.response
        try:
            yield response.status, raw.stream(4096, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise Unreachable(*broken_off(str(e))) from None
        finally:
            raw.release_conn()

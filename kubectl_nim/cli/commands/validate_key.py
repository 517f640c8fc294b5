"""`validate-key`: ask NVIDIA whether a personal API key is valid, without printing it.

Exit 0 valid, 1 rejected (by NVIDIA or because it is a legacy key), 3 NVIDIA unreachable, so that
CI can tell a bad key from a network problem. httpx is imported only when the command runs.
"""

from __future__ import annotations

from typing import Optional

import click

from kubectl_nim import log
from kubectl_nim.cli.options import (global_options, key_options, ngc_options, proxy_options,
                                     refused_key_argument)
from kubectl_nim.cli.context import get_globals
from kubectl_nim.cli.print_flags import print_flags
from kubectl_nim.cli.context import get_environment


@click.command("validate-key")
@key_options
@ngc_options
@proxy_options
@print_flags(sort=False)
@global_options
@refused_key_argument
def command(api_key_file: Optional[str], ngc_api_url: str, https_proxy: Optional[str],
            no_proxy: Optional[str], ca_bundle: Optional[str], printer) -> None:
    """Check a personal NVIDIA API key (nvapi-...) with NVIDIA.

    The key is read from --api-key-file, $NGC_API_KEY or a hidden prompt, never from the
    command line. Exit codes: 0 valid, 1 rejected, 2 usage error (no key, unreadable key file),
    3 NVIDIA could not be reached. -o json|yaml prints the verdict (docs/schemas/validate-key.json)
    for a rejected key too, with `valid: false` and the reason (the exit code is still 1).
    --https-proxy and --ca-bundle FILE send the check through a proxy with its own CA (else
    HTTPS_PROXY and the system's trust store).
    """
    from kubectl_nim.app import keycheck, netproxy
    from kubectl_nim.errors import UsageError

    if ca_bundle == "cluster":
        raise UsageError("validate-key asks NVIDIA from this machine: --ca-bundle cluster "
                         "names the cluster's CAs, which it cannot use",
                         hint="give the proxy's CA as a PEM file: --ca-bundle FILE")
    network = netproxy.settings(https_proxy, no_proxy, ca_bundle)

    notice = keycheck.disconnected_notice(get_globals(), get_environment())
    if notice:
        log.notice(notice)
    from kubectl_nim.cli.api_key import key_reader

    from kubectl_nim.errors import KeyRejected

    key = key_reader(api_key_file, get_environment())()
    try:
        info = keycheck.validate(key, ngc_api_url, get_globals().request_timeout,
                                 sleep=get_environment().sleep, network=network)
    except KeyRejected as e:
        if not printer.human:  # scripts get the verdict on stdout; the error line on stderr
            click.echo(printer.one({"valid": False, "type": None, "org": None, "products": [],
                                    "reason": e.message}), nl=False)
        raise
    data = {"valid": True, "type": info.type, "org": info.org, "products": list(info.products),
            "reason": None}
    click.echo(printer.one(data, text=lambda: _text(info)), nl=False)


def _text(info) -> str:
    products = ", ".join(info.products) or "<none>"
    return (f"The API key is valid.\n"
            f"Type:     {info.type or '<unknown>'}\n"
            f"Org:      {info.org or '<unknown>'}\n"
            f"Products: {products}\n")

"""`validate-key`: ask NVIDIA whether a personal API key is valid, without printing it.

Exit 0 valid, 1 rejected (by NVIDIA or because it is a legacy key), 3 NVIDIA unreachable, so that
CI can tell a bad key from a network problem. httpx is imported only when the command runs.
"""

from __future__ import annotations

from typing import Optional

import click

from kubectl_nim import log
from kubectl_nim.cli.options import (get_globals, global_options, key_options, ngc_options,
                                 output_option, refused_key_argument)
from kubectl_nim.cli.options import get_environment
from kubectl_nim.cli.output import dump_json


@click.command("validate-key")
@key_options
@ngc_options
@output_option("text", "json", default="text")
@global_options
@refused_key_argument
def command(api_key_file: Optional[str], ngc_api_url: str, output: str) -> None:
    """Check a personal NVIDIA API key (nvapi-...) with NVIDIA.

    The key is read from --api-key-file, $NGC_API_KEY or a hidden prompt, never from the
    command line. Exit codes: 0 valid, 1 rejected, 2 usage error (no key, unreadable key file),
    3 NVIDIA could not be reached.
    """
    from kubectl_nim.app import keycheck

    notice = keycheck.disconnected_notice(get_globals())
    if notice:
        log.notice(notice)
    from kubectl_nim.cli.api_key import key_reader

    key = key_reader(api_key_file, get_environment())()
    info = keycheck.validate(key, ngc_api_url, get_globals().request_timeout,
                             sleep=get_environment().sleep)
    click.echo(_render(info, output), nl=False)


def _render(info, output: str) -> str:
    if output == "json":
        return dump_json({"valid": True, "type": info.type, "org": info.org,
                          "products": list(info.products)})
    products = ", ".join(info.products) or "<none>"
    return (f"The API key is valid.\n"
            f"Type:     {info.type or '<unknown>'}\n"
            f"Org:      {info.org or '<unknown>'}\n"
            f"Products: {products}\n")

"""The NVIDIA API key of docs/design.md#the-api-key: what shape it must have, and the pull secret
made from it.

Pure. Reading the key (file, standard input, $NGC_API_KEY, prompt) is the CLI's job:
`kubectl_nim.cli.api_key`.
"""

from __future__ import annotations

import base64

from kubectl_nim.errors import KeyRejected

ENV_VAR = "NGC_API_KEY"
PERSONAL_PREFIX = "nvapi-"
REGISTRY = "nvcr.io"
REGISTRY_USERNAME = "$oauthtoken"  # NVIDIA's fixed user name for key-based registry logins
PERSONAL_KEYS_URL = "https://org.ngc.nvidia.com/setup/personal-keys"


def ensure_personal(key: str) -> str:
    """Refuse anything but a personal key, before any network call; the message never quotes it."""
    check_key_characters(key)
    if not key.startswith(PERSONAL_PREFIX):
        raise KeyRejected(
            "this is a legacy NVIDIA API key; only personal keys (starting with nvapi-) "
            "are supported",
            hint=f"create a personal key with the NGC Catalog service at {PERSONAL_KEYS_URL}")
    return key


def check_key_characters(key: str) -> str:
    """A key is one token of visible ASCII.

    Checked before a key goes into an HTTP header: a stray newline (a two-line key file) or a
    non-ASCII character would otherwise make the HTTP library raise an error that quotes the
    header, key included.
    """
    if not key or any(not ("!" <= c <= "~") for c in key):
        raise KeyRejected("the API key contains spaces, line breaks or non-ASCII characters",
                          hint="a key file must hold exactly one key")
    return key


def pull_secret_dockerconfig(key: str) -> dict:
    """The `.dockerconfigjson` content of the per-deployment pull secret
    (docs/design.md#secrets)."""
    auth = base64.b64encode(f"{REGISTRY_USERNAME}:{key}".encode()).decode("ascii")
    return {"auths": {REGISTRY: {"username": REGISTRY_USERNAME, "password": key, "auth": auth}}}

"""A deployment's secrets: reading the key out of them (registered with `log` the moment it is
decoded), and writing them all-or-nothing (undone when one write fails).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from kubectl_nim import log
from kubectl_nim.adapters.kube.cluster import Cluster
from kubectl_nim.app.optimistic import Written, delete_if_unchanged, read_modify_write
from kubectl_nim.domain.keys import REGISTRY, pull_secret_dockerconfig
from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV
from kubectl_nim.domain.names import SEED, naming_of
from kubectl_nim.domain.names import DOCKERCONFIG_TYPE
from kubectl_nim.domain.nim_runtime import DOCKERCONFIG_KEY
from kubectl_nim.domain.render import api_key_secret_for, pull_secret_for
from kubectl_nim.errors import Day2Error, NimError
from kubectl_nim.domain.refs import kind_ref
from kubectl_nim.domain.dry_run import DryRun

MIN_SECRET_LENGTH = 8    # decoded secret values at least this long are redacted from all output


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


def decode_value(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        text = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    if len(text.strip()) >= MIN_SECRET_LENGTH:  # never redact words like "true" everywhere
        log.register_secret(text.strip())
    return text


def pull_secret_key(secret: Mapping[str, Any] | None) -> str | None:
    """The nvcr.io password of a dockerconfigjson secret (registered as a secret when read)."""
    raw = decode_value(((secret or {}).get("data") or {}).get(DOCKERCONFIG_KEY))
    if raw is None:
        return None
    try:
        auths = (json.loads(raw) or {}).get("auths") or {}
    except (ValueError, AttributeError):
        return None
    entry = auths.get(REGISTRY) or {}
    password = entry.get("password")
    if not password and entry.get("auth"):
        decoded = decode_value(entry["auth"])
        password = decoded.partition(":")[2] if decoded else None
    if password and len(password) >= MIN_SECRET_LENGTH:
        log.register_secret(password)
    return password or None


def api_secret_key(secret: Mapping[str, Any] | None, data_key: str = API_KEY_ENV) -> str | None:
    value = decode_value(((secret or {}).get("data") or {}).get(data_key))
    return value.strip() if value else None


@dataclass(frozen=True)
class SecretTarget:
    """One secret that must hold the key: the api-key secret (`data_key`) or a pull secret."""

    name: str
    role: str                # "api-key" | "pull"
    data_key: str = API_KEY_ENV
    deployment: str = ""     # set when the name is this deployment's own (may be created)

    def desired(self, namespace: str, key: str) -> Callable[[dict | None], dict | None]:
        def compute(current: dict | None) -> dict | None:
            if current is None:
                if not self.deployment:
                    raise Day2Error(f"{kind_ref('Secret', self.name)} does not exist in "
                                    f"{namespace}")
                build = api_key_secret_for if self.role == "api-key" else pull_secret_for
                return build(self.deployment, namespace, key,
                             naming_of(self.deployment, self.name) or SEED)
            data = dict(current.get("data") or {})
            if self.role == "api-key":
                value = _b64(key)
                if data.get(self.data_key) == value:
                    return None
                data[self.data_key] = value
            else:
                value = _pull_value(current, key)
                if data.get(DOCKERCONFIG_KEY) == value:
                    return None
                data[DOCKERCONFIG_KEY] = value
            current["data"] = data
            current.pop("stringData", None)
            return current
        return compute

    def key_in(self, secret: Mapping[str, Any] | None) -> str | None:
        if self.role == "api-key":
            return api_secret_key(secret, self.data_key)
        return pull_secret_key(secret)


def _pull_value(current: Mapping[str, Any], key: str) -> str:
    """The new `.dockerconfigjson`: exactly deploy's when only nvcr.io is in it, else the nvcr.io
    entry replaced and every other registry kept."""
    auths: dict = {}
    raw = decode_value(((current.get("data") or {}).get(DOCKERCONFIG_KEY)))
    if raw:
        try:
            auths = dict((json.loads(raw) or {}).get("auths") or {})
        except (ValueError, AttributeError):
            auths = {}
    ours = pull_secret_dockerconfig(key)
    if set(auths) - {REGISTRY}:
        auths[REGISTRY] = ours["auths"][REGISTRY]
        ours = {**(json.loads(raw) if raw else {}), "auths": auths}
    return _b64(json.dumps(ours, separators=(",", ":")))


def check_pull_secret(secret: Mapping[str, Any]) -> None:
    if secret.get("type") != DOCKERCONFIG_TYPE:
        raise Day2Error(f"{kind_ref('Secret', secret['metadata']['name'])} is of type "
                        f"{secret.get('type') or 'Opaque'}, not {DOCKERCONFIG_TYPE}",
                        hint="only dockerconfigjson pull secrets can be rotated")


def nvcr_pull_secret(secret: Mapping[str, Any] | None) -> bool:
    """Does a referenced pull secret hold credentials for nvcr.io (else it is not ours to touch)?"""
    raw = decode_value(((secret or {}).get("data") or {}).get(DOCKERCONFIG_KEY))
    try:
        return REGISTRY in ((json.loads(raw) or {}).get("auths") or {}) if raw else False
    except (ValueError, AttributeError):
        return False


class SecretsFailed(Day2Error):
    """A write of the deployment's secrets failed; the message says which were put back (or
    could not be), so the user knows which key each secret holds now."""


def preview(targets: Sequence[SecretTarget], namespace: str, key: str,
            current: Mapping[str, dict | None]) -> list[tuple[str, str]]:
    """(ref, action) per target: what secret_pair.write_pair would do, for a client dry run (no request;
    `current` as read)."""
    from copy import deepcopy

    from kubectl_nim.app.optimistic import action_of

    def action(target):
        before = current.get(target.name)
        return action_of(before, target.desired(namespace, key)(deepcopy(before)))

    return [(kind_ref("Secret", t.name), action(t)) for t in targets]


def failed_secrets(cluster: Cluster, namespace: str, target: SecretTarget, error: NimError,
                    done: list[tuple[SecretTarget, Written]], dry_run: DryRun,
                    sleep: Callable[[float], None]) -> SecretsFailed:
    restored, left = undo_secrets(cluster, namespace, done, dry_run, sleep=sleep)
    cause = f"cannot update {kind_ref('Secret', target.name)}: {error.message}"
    if left:
        return SecretsFailed(
            f"{cause}; COULD NOT put back {', '.join(left)}: the deployment's secrets now hold "
            f"different keys",
            hint="re-run the same command to finish (it converges), or fix the secrets by hand; "
                 + (error.hint or ""))
    if restored:
        return SecretsFailed(f"{cause}; put back {', '.join(restored)}: every secret keeps "
                             f"its previous key", hint=error.hint)
    return SecretsFailed(f"{cause}; nothing was changed", hint=error.hint)


def undo_secrets(cluster: Cluster, namespace: str, done: Sequence[tuple[SecretTarget, Written]],
                 dry_run: DryRun = DryRun.NONE, *, sleep: Callable[[float], None]
                 ) -> tuple[list[str], list[str]]:
    """Undo secret writes newest first; returns (restored, could-not-restore) refs."""
    restored: list[str] = []
    left: list[str] = []
    for target, written in reversed(done):
        if written.action == "unchanged" or not dry_run.persists:
            continue
        ours = (written.after or {}).get("data")
        ref = kind_ref("Secret", target.name)
        try:
            if written.before is None:
                if delete_if_unchanged(cluster, namespace, target.name, ours, sleep):
                    restored.append(ref)
            else:
                old = (written.before or {}).get("data")

                def back(cur, ours=ours, old=old, ref=ref):
                    if cur is None or cur.get("data") == old:
                        return None
                    if cur.get("data") != ours:
                        raise Day2Error(f"{ref} was changed by someone else meanwhile; left as is")
                    cur["data"] = old
                    return cur
                if read_modify_write(cluster, "Secret", target.name, namespace,
                                     back, sleep=sleep).action != "unchanged":
                    restored.append(ref)
        except NimError as e:
            left.append(f"{ref} ({e.message})")
    return restored, left

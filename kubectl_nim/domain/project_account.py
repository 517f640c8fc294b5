"""Which Secrets of a project belong to a per-project NIM Account (pure).

The dashboard's NIM wizard keeps the NVIDIA key per project: an Account
(`nim.opendatahub.io/v1`) names its key Secret in `spec.apiKeySecret`, and odh-model-controller
records the pull secret it made in `status.nimPullSecret` (docs/compatibility.md, per-project NIM
Accounts). Those Secrets are the Account's: no verb but the `project` ones deletes or rewrites
them. The wizard's key Secret has the same name as the older global flow's disposable copy
(`nvidia-nim-secrets`), so only the Account tells them apart — and when the Accounts cannot be
read, the names an Account uses by default are treated as the Account's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Optional

from kubectl_nim.domain.names import ACCOUNT_KEY_SECRET, ACCOUNT_PULL_SECRET

# What an Account may name, and where (the field a message cites).
_REFERENCES = (("spec", "apiKeySecret"), ("status", "nimPullSecret"))


def _named(account: Mapping[str, Any], section: str, ref_field: str) -> Optional[str]:
    """The Secret name at `section.ref_field` of an Account, when it is a well-formed reference
    to a Secret of the Account's own namespace; anything else names nothing."""
    part = account.get(section)
    ref = part.get(ref_field) if isinstance(part, Mapping) else None
    if not isinstance(ref, Mapping):
        return None
    name = ref.get("name")
    if not isinstance(name, str) or not name:
        return None
    meta = account.get("metadata")
    own_ns = meta.get("namespace") if isinstance(meta, Mapping) else None
    ref_ns = ref.get("namespace")
    if isinstance(ref_ns, str) and ref_ns and isinstance(own_ns, str) and ref_ns != own_ns:
        return None  # a Secret of another namespace is not one of this project's
    return name


def _account_name(account: Mapping[str, Any]) -> str:
    meta = account.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return name if isinstance(name, str) and name else "?"


@dataclass(frozen=True)
class Owner:
    account: str   # the Account's name
    field: str     # where it names the Secret: spec.apiKeySecret or status.nimPullSecret


@dataclass(frozen=True)
class AccountSecrets:
    """The Secrets the project's Accounts own. `unreadable`: why the Accounts could not be read
    (then the default names are kept, since not knowing is no permission to delete)."""

    owners: Mapping[str, Owner] = field(default_factory=dict)
    unreadable: Optional[str] = None

    def why_owned(self, secret: str) -> Optional[str]:
        """Why `secret` must not be deleted or rewritten, or None when it may be."""
        owner = self.owners.get(secret)
        if owner is not None:
            return f"it belongs to the project's NIM Account {owner.account} (its {owner.field})"
        if self.unreadable and secret in (ACCOUNT_KEY_SECRET, ACCOUNT_PULL_SECRET):
            return (f"cannot read the project's NIM Accounts ({self.unreadable}), and a NIM "
                    f"Account's secret has this name")
        return None

    @property
    def key_secrets(self) -> frozenset[str]:
        """The key Secrets (spec.apiKeySecret): a runtime reading one uses the project's key."""
        return frozenset(name for name, owner in self.owners.items()
                         if owner.field == "spec.apiKeySecret")


def account_secrets(accounts: Iterable[Any]) -> AccountSecrets:
    """The Secrets the given Accounts name (malformed references name nothing)."""
    owners: dict[str, Owner] = {}
    for account in accounts:
        if not isinstance(account, Mapping):
            continue
        for section, ref_field in _REFERENCES:
            name = _named(account, section, ref_field)
            if name and name not in owners:
                owners[name] = Owner(_account_name(account), f"{section}.{ref_field}")
    return AccountSecrets(owners)

"""What a per-project NIM Account says about itself (pure): ready or not, the controller's last
validation, the objects it made, and whether it re-validated after a given time
(docs/compatibility.md, per-project NIM Accounts). Every server field is type-checked: a malformed
one reads as absent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Mapping, Optional

from kubectl_nim.domain.names import FORCE_VALIDATION_ANNOTATION

READY = "AccountStatus"            # the condition that says the Account is usable
VALIDATION = "APIKeyValidation"    # the condition about the key itself


def _str(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value else None


def _section(obj: Any, key: str) -> Mapping[str, Any]:
    value = obj.get(key) if isinstance(obj, Mapping) else None
    return value if isinstance(value, Mapping) else {}


def _ref_name(status: Mapping[str, Any], key: str) -> Optional[str]:
    return _str(_section(status, key).get("name"))


@dataclass(frozen=True)
class Condition:
    type: str
    status: str            # True / False / Unknown
    reason: str
    message: str
    last_transition: Optional[str]

    def to_data(self) -> dict:
        return {"type": self.type, "status": self.status, "reason": self.reason,
                "message": self.message, "lastTransitionTime": self.last_transition}


def _conditions(status: Mapping[str, Any]) -> tuple[Condition, ...]:
    found = status.get("conditions")
    if not isinstance(found, list):
        return ()
    return tuple(Condition(_str(c.get("type")) or "?", _str(c.get("status")) or "Unknown",
                           _str(c.get("reason")) or "", _str(c.get("message")) or "",
                           _str(c.get("lastTransitionTime")))
                 for c in found if isinstance(c, Mapping))


def parse_time(value: Optional[str]) -> Optional[datetime]:
    """An RFC 3339 time (as the API server writes them), or None."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def rfc3339(now: datetime) -> str:
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class AccountState:
    name: str
    namespace: str
    key_secret: Optional[str]
    conditions: tuple[Condition, ...]
    last_validation: Optional[str]      # status.lastSuccessfulValidation
    pull_secret: Optional[str]
    config_map: Optional[str]
    template: Optional[str]
    force_validation: Optional[str]     # the annotation, when a re-validation was asked for

    def condition(self, kind: str) -> Optional[Condition]:
        return next((c for c in self.conditions if c.type == kind), None)

    @property
    def ready(self) -> bool:
        cond = self.condition(READY)
        return cond is not None and cond.status == "True"

    @property
    def readiness(self) -> str:
        """True / False / Unknown, as the AccountStatus condition says."""
        cond = self.condition(READY)
        return cond.status if cond else "Unknown"

    def rejection(self) -> Optional[str]:
        """The controller's own words when it refused the key (APIKeyValidation False, else
        AccountStatus False), or None."""
        for kind in (VALIDATION, READY):
            cond = self.condition(kind)
            if cond is not None and cond.status == "False":
                return cond.message or cond.reason or f"{kind} is False"
        return None

    def validated_since(self, since: datetime) -> Optional[bool]:
        """After a re-validation asked for at `since`: True when the controller validated the
        key since (and the Account is ready), False when it rejected it since, None while it
        has not answered yet."""
        last = parse_time(self.last_validation)
        if last is not None and last >= since and self.ready:
            return True
        cond = self.condition(VALIDATION)
        changed = parse_time(cond.last_transition) if cond else None
        if cond is not None and cond.status == "False" and changed is not None \
                and changed >= since:
            return False
        return None

    def to_data(self) -> dict:
        return {"name": self.name, "namespace": self.namespace, "ready": self.readiness,
                "keySecret": self.key_secret, "lastSuccessfulValidation": self.last_validation,
                "message": self.rejection(),
                "pullSecret": self.pull_secret, "configMap": self.config_map,
                "template": self.template,
                "conditions": [c.to_data() for c in self.conditions]}


def account_state(account: Mapping[str, Any]) -> AccountState:
    meta, spec, status = (_section(account, k) for k in ("metadata", "spec", "status"))
    annotations = _section(meta, "annotations")
    return AccountState(
        name=_str(meta.get("name")) or "?", namespace=_str(meta.get("namespace")) or "",
        key_secret=_str(_section(spec, "apiKeySecret").get("name")),
        conditions=_conditions(status),
        last_validation=_str(status.get("lastSuccessfulValidation")),
        pull_secret=_ref_name(status, "nimPullSecret"),
        config_map=_ref_name(status, "nimConfig"),
        template=_ref_name(status, "runtimeTemplate"),
        force_validation=_str(annotations.get(FORCE_VALIDATION_ANNOTATION)))


def of_namespace(accounts: Any, namespace: str) -> Optional[AccountState]:
    """The Account of `namespace` among `accounts` (at most one per namespace), or None."""
    if not isinstance(accounts, list):
        return None
    for account in accounts:
        if isinstance(account, Mapping) and \
                _section(account, "metadata").get("namespace") == namespace:
            return account_state(account)
    return None

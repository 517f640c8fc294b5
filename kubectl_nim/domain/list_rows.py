"""The rows `list` prints, made from InferenceServices and their runtimes (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from kubectl_nim.domain import nimservice
from kubectl_nim.domain.names import ACCOUNT_KEY_SECRET, DASHBOARD_LABEL
from kubectl_nim.domain.nimservice import BACKEND_KSERVE
from kubectl_nim.domain.project_account import account_secrets
from kubectl_nim.domain.nim_runtime import NIMSERVICE, UNKNOWN, images_at, is_nim, key_scheme, mounted_claims, runtime_image, runtime_name_of, runtime_refs, split_image

def _condition(isvc: Mapping[str, Any], kind: str) -> str:
    for cond in (isvc.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return str(cond.get("status") or "Unknown")
    return "Unknown"


@dataclass(frozen=True)
class Row:
    """One NIM deployment as `list` shows it."""

    name: str
    namespace: str
    model: str
    tag: str
    ready: str
    key: str
    pvc: tuple[str, ...]
    created: str
    runtime: str
    image: str
    secrets: tuple[str, ...]
    url: str
    dashboard: bool
    labels: tuple[tuple[str, str], ...] = ()

    def metadata(self) -> dict:
        """kubectl's spelling of the identity (`--sort-by .metadata.creationTimestamp`)."""
        return {"name": self.name, "namespace": self.namespace, "labels": dict(self.labels),
                "creationTimestamp": self.created or None}
    backend: str = BACKEND_KSERVE   # nimservice: a NIMService's, shown read-only
    nim_service: str = ""           # that NIMService

    def to_data(self) -> dict:
        return {"metadata": self.metadata(),
                "name": self.name, "namespace": self.namespace, "model": self.model,
                "tag": self.tag, "ready": self.ready, "keyScheme": self.key,
                "secrets": list(self.secrets), "pvc": list(self.pvc), "runtime": self.runtime,
                "image": self.image, "url": self.url or None,
                "creationTimestamp": self.created, "backend": self.backend}


def make_row(isvc: Mapping[str, Any], runtime: Mapping[str, Any] | None,
             runtime_readable: bool = True, account_keys: Iterable[str] = (),
             accounts_readable: bool = True) -> Row:
    """`account_keys`: the key Secrets the project's NIM Accounts name (key scheme
    project-account). `accounts_readable` False: the project's Accounts could not be read, so
    a runtime reading a Secret of the name an Account uses by default has an unknown scheme
    (the project's key, or the older flow's shared copy of the same name)."""
    meta = isvc.get("metadata") or {}
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    image = runtime_image(runtime) or next(iter(images_at(isvc, "spec", "predictor")), "")
    image_model, image_tag = split_image(image) if image else ("", "")
    model = ((predictor.get("model") or {}).get("modelFormat") or {}).get("name") or image_model
    tag = ""
    for fmt in ((runtime or {}).get("spec") or {}).get("supportedModelFormats") or []:
        if fmt.get("name") == model and fmt.get("version"):
            tag = str(fmt["version"])
            break
    refs = runtime_refs(runtime)
    operated = nimservice.owner(isvc)
    if operated:  # its key is the NIMService's (authSecret), in the predictor's containers
        refs, scheme = runtime_refs({"spec": predictor}), NIMSERVICE
    elif runtime is None and not runtime_readable:
        scheme = UNKNOWN
    elif not accounts_readable and ACCOUNT_KEY_SECRET in refs.names:
        scheme = UNKNOWN
    else:
        scheme = key_scheme(meta.get("name", ""), refs, account_keys)
    return Row(name=meta.get("name", ""), namespace=meta.get("namespace", ""), model=model,
               tag=tag or image_tag, ready=_condition(isvc, "Ready"), key=scheme,
               pvc=tuple(mounted_claims(runtime)), created=meta.get("creationTimestamp", ""),
               runtime=runtime_name_of(isvc) or "", image=image, secrets=refs.names,
               url=(isvc.get("status") or {}).get("url") or "",
               dashboard=((meta.get("labels") or {}).get(DASHBOARD_LABEL) == "true"),
               labels=tuple(sorted((str(k), str(v)) for k, v in
                                   (meta.get("labels") or {}).items())),
               backend=nimservice.backend(isvc), nim_service=operated or "")


def nim_rows(isvcs: Iterable[Mapping[str, Any]], runtimes: Iterable[Mapping[str, Any]],
             runtimes_readable: bool = True,
             accounts: Iterable[Mapping[str, Any]] = (),
             accounts_unreadable: Iterable[str] = ()) -> list[Row]:
    """`accounts`: the NIM Accounts of the projects listed (any namespace; each row is matched
    with its own project's); `accounts_unreadable`: the projects whose Accounts could not be
    read (`make_row`)."""
    keys = account_keys_by_namespace(accounts)
    blind = frozenset(accounts_unreadable)
    by_key = {((r.get("metadata") or {}).get("namespace", ""),
               (r.get("metadata") or {}).get("name", "")): r for r in runtimes}
    rows = []
    for isvc in isvcs:
        meta = isvc.get("metadata") or {}
        runtime = by_key.get((meta.get("namespace", ""), runtime_name_of(isvc) or ""))
        if is_nim(isvc, runtime):
            rows.append(make_row(isvc, runtime, runtimes_readable,
                                 keys.get(meta.get("namespace", ""), frozenset()),
                                 meta.get("namespace", "") not in blind))
    rows.sort(key=lambda r: (r.namespace, r.name))
    return rows


def may_use_an_account(row: Row) -> bool:
    """Whether the row's key scheme depends on its project's NIM Accounts beyond their names:
    it reads a Secret of the name an Account uses by default."""
    return row.backend == BACKEND_KSERVE and ACCOUNT_KEY_SECRET in row.secrets


def account_keys_by_namespace(accounts: Iterable[Any]) -> dict[str, frozenset[str]]:
    """namespace -> the key Secrets its NIM Accounts name."""
    grouped: dict[str, list] = {}
    for account in accounts:
        meta = account.get("metadata") if isinstance(account, Mapping) else None
        namespace = meta.get("namespace") if isinstance(meta, Mapping) else None
        if isinstance(namespace, str):
            grouped.setdefault(namespace, []).append(account)
    return {ns: account_secrets(found).key_secrets for ns, found in grouped.items()}


def human_age(created: str, now: datetime) -> str:
    """kubectl's AGE column (apimachinery's HumanDuration) at `now` (the caller's clock: pure)."""
    try:
        then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    except (TypeError, ValueError):
        return "<unknown>"
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return "<invalid>" if seconds < -1 else "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    if days < 365 * 8:
        return f"{days // 365}y{days % 365}d" if days % 365 else f"{days // 365}y"
    return f"{days // 365}y"

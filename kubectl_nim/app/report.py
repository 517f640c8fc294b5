"""`report`: a redacted support bundle (.tar.gz) of one NIM deployment.

It holds the deployment's objects (InferenceService, ServingRuntime, PVCs, Secrets with their
values redacted, the predictor Service), its pods and events, the last lines of every container's
log, `config view`, the `status` verdict and the plugin version. Every member goes through
`domain.redaction` twice: objects lose their secret values, and text loses every form of every
value the deployment's secrets hold (read for that purpose only) and anything that looks like a
key. Whatever cannot be collected is named in `errors.txt` instead of failing the bundle.
"""

from __future__ import annotations

import io
import json
import os
import platform
import sys
import tarfile
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Mapping

from kubectl_nim import __version__, log
from kubectl_nim.app import status as status_app
from kubectl_nim.adapters.kube.cluster import Cluster, concurrently
from kubectl_nim.domain import health, redaction
from kubectl_nim.domain.refs import kind_ref
from kubectl_nim.errors import ClusterError, NimError
from kubectl_nim.domain.keys import ENV_VAR as API_KEY_ENV

DEFAULT_TAIL = 500


@dataclass
class Bundle:
    root: str
    mtime: int                                    # of every member: when the run collected
    members: dict = field(default_factory=dict)   # path inside root -> text
    errors: list = field(default_factory=list)
    values: set = field(default_factory=set)      # secret values to scrub

    def add_yaml(self, path: str, obj: Any) -> None:
        from kubectl_nim.domain.formats import dump_yaml

        self.members[path] = dump_yaml(redaction.redact_object(obj))

    def add_text(self, path: str, text: str) -> None:
        self.members[path] = text

    def failed(self, what: str, error: Exception) -> None:
        message = error.message if isinstance(error, NimError) else str(error)
        self.errors.append(f"{what}: {message}")

    def scrubbed(self) -> dict[str, bytes]:
        members = dict(self.members)
        if self.errors:
            members["errors.txt"] = "".join(f"{e}\n" for e in self.errors)
        return {f"{self.root}/{path}": redaction.scrub(text, self.values).encode()
                for path, text in sorted(members.items())}


def collect(cluster: Cluster, namespace: str, name: str, tail: int,
            config_view: Callable[[], dict], stamp: str,
            environ: Mapping[str, str] | None = None, *, now: datetime) -> Bundle:
    """Read everything; raises only when the deployment itself is missing or not a NIM.
    `environ`: the run's variables (a key in $NGC_API_KEY is scrubbed from the bundle too);
    `now`: the run's wall clock (the status' ages, the members' times)."""
    result = status_app.status(cluster, namespace, name, now)
    observed = result.observed
    bundle = Bundle(f"nim-report-{name}-{stamp}", int(now.timestamp()))
    env_key = (os.environ if environ is None else environ).get(API_KEY_ENV)
    if env_key:
        bundle.values.add(env_key)
    bundle.add_text("version.txt", f"kubectl-nim {__version__}\npython {sys.version.split()[0]}"
                                   f"\nplatform {platform.platform()}\n")
    bundle.add_text("status.json", json.dumps(result.to_data(now), indent=2) + "\n")
    # as the server answered them (a field of the wrong type is worth seeing in a ticket)
    if observed.isvc is not None:
        bundle.add_yaml("objects/inferenceservice.yaml", observed.raw.get("isvc", observed.isvc))
    if observed.runtime is not None:
        bundle.add_yaml("objects/servingruntime.yaml",
                        observed.raw.get("runtime", observed.runtime))
    for claim, obj in result.claims.items():
        if isinstance(obj, dict):
            bundle.add_yaml(f"objects/pvc-{_safe(claim)}.yaml", obj)
    _objects(cluster, namespace, name, list(result.secrets), bundle)
    for account in observed.accounts if result.account is not None else []:
        bundle.add_yaml(f"objects/account-{(account.get('metadata') or {}).get('name')}.yaml",
                        account)
    for pod in observed.pods or []:
        bundle.add_yaml(f"pods/{_safe((pod.get('metadata') or {}).get('name'))}.yaml", pod)
    if observed.pods is None:
        bundle.errors.append("pods: not readable (HTTP 403)")
    mine = [e for e in observed.events or []
            if health.concerns((e.get("involvedObject") or {}).get("name", ""), name)]
    bundle.add_yaml("events.yaml", mine)
    if observed.events is None:
        bundle.errors.append("events: not readable (HTTP 403)")
    _logs(cluster, namespace, observed.pods or [], tail, bundle)
    try:
        bundle.add_yaml("config-view.yaml", config_view())
    except NimError as e:
        bundle.failed("config view", e)
    return bundle


def _objects(cluster: Cluster, namespace: str, name: str, secrets: list, bundle: Bundle) -> None:
    """The referenced Secrets (values kept only in memory, to scrub text) and the Service."""
    wanted = [("Secret", s) for s in secrets] + [("Service", f"{name}-predictor")]
    answers = concurrently(lambda w: cluster.get_or_none(w[0], w[1], namespace), wanted)
    for (kind, obj_name), answer in zip(wanted, answers):
        if isinstance(answer, ClusterError):
            bundle.failed(kind_ref(kind, obj_name), answer)
        elif answer is None:
            bundle.errors.append(f"{kind_ref(kind, obj_name)}: not found")
        else:
            if kind == "Secret":
                values = redaction.secret_values([answer])
                for value in values:
                    log.register_secret(value)
                bundle.values |= values
            bundle.add_yaml(f"objects/{kind.lower()}-{_safe(obj_name)}.yaml", answer)


def _logs(cluster: Cluster, namespace: str, pods: list, tail: int, bundle: Bundle) -> None:
    wanted = [(p["metadata"]["name"], c.get("name", ""), previous)
              for p in health.live_pods(pods)
              for c in (p.get("spec") or {}).get("containers") or []
              for previous in (False, _restarted(p, c.get("name", "")))
              if previous is not None]

    def fetch(item):
        pod, container, previous = item
        query = [("container", container), ("tailLines", str(tail))]
        if previous:
            query.append(("previous", "true"))
        return cluster.request_text("GET", f"/api/v1/namespaces/{namespace}/pods/{pod}/log",
                                    query=query)

    for (pod, container, previous), answer in zip(wanted, concurrently(fetch, wanted)):
        suffix = ".previous.log" if previous else ".log"
        if isinstance(answer, ClusterError):
            bundle.failed(f"log of {pod}/{container}{' (previous)' if previous else ''}", answer)
        else:
            bundle.add_text(f"logs/{_safe(pod)}/{_safe(container)}{suffix}", answer)


def _safe(name: Any) -> str:
    """Names from the server become one path component each, never a traversal."""
    return redaction.member_name(name)


def _restarted(pod: dict, container: str):
    """True when the container restarted (its previous log is worth keeping), else None."""
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == container and int(cs.get("restartCount") or 0) > 0:
            return True
    return None


def archive(bundle: Bundle) -> tuple[bytes, int]:
    """The .tar.gz in memory, and how many files it holds."""
    members = bundle.scrubbed()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for member, data in members.items():
            info = tarfile.TarInfo(member)
            info.size, info.mtime, info.mode = len(data), bundle.mtime, 0o600
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue(), len(members)


def write(bundle: Bundle, path: str) -> int:
    """The .tar.gz, written whole to a new temporary file beside `path` (exclusive creation,
    never through a symlink), then linked to `path`, which must not exist yet: never half a
    bundle, never someone else's file overwritten or a symlink followed."""
    import tempfile

    data, count = archive(bundle)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.lexists(path):
        raise NimError(f"{path} already exists; the bundle is never written over a file",
                       hint="remove it or give another -f PATH")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".nim-report-", suffix=".partial")
    except OSError as e:
        raise NimError(f"cannot write in {folder}: {e.strerror or e}",
                       hint="give -f PATH in a folder you may write to, or -f - for stdout") \
            from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        _publish(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    return count


def _publish(tmp: str, path: str) -> None:
    """`tmp` becomes `path` only if `path` does not exist (a link fails on any existing name,
    a symlink included); where hard links are not supported, a checked rename."""
    try:
        os.link(tmp, path, follow_symlinks=False)
    except FileExistsError:
        raise NimError(f"{path} already exists; the bundle is never written over a file",
                       hint="remove it or give another -f PATH") from None
    except OSError as e:
        if os.path.lexists(path):
            raise NimError(f"{path} already exists; the bundle is never written over a file",
                           hint="remove it or give another -f PATH") from None
        log.debug(f"no hard link for {path} ({e.strerror or e}); renaming")
        os.rename(tmp, path)


def default_path(name: str, stamp: str) -> str:
    return f"nim-report-{name}-{stamp}.tar.gz"


"""Which key a new deployment uses (deploy --key-scope): its own secrets (`deployment`), or the
project's NIM Account (`project`: the Account's Template, its key Secret and pull secret, as
the dashboard's NIM wizard deploys; docs/compatibility.md, per-project NIM Accounts). Without
the flag, a project with a ready Account gets `project`, and the plugin says so; re-applying an
existing deployment keeps the scheme it has. The rendering itself is domain/render's (ProjectKey)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from kubectl_nim import caller
from kubectl_nim.domain.account_state import AccountState, account_state
from kubectl_nim.domain.deploy_options import ProjectKey
from kubectl_nim.domain.names import ACCOUNT_TEMPLATE
from kubectl_nim.domain.refs import kind_ref
from kubectl_nim.errors import ClusterError, Day2Error, UsageError

PROJECT, DEPLOYMENT = "project", "deployment"
SCOPES = (PROJECT, DEPLOYMENT)


@dataclass(frozen=True)
class ProjectAccount:
    """The NIM Account of a namespace (None: none), and the Template of the name the
    controller gives it, read at once."""

    account: Optional[dict] = None
    template: Optional[dict] = None
    error: Optional[str] = None       # why the Accounts could not be read


def read_project_account(cluster, namespace: str) -> ProjectAccount:
    """Never raises: a cluster without the Account CRD has no Account; other failures are
    kept in `error` for the caller that needs the Account."""
    from kubectl_nim.adapters.kube.cluster import concurrently
    from kubectl_nim.app.accounts import read_accounts

    accounts, template = concurrently(lambda read: read(), [
        lambda: read_accounts(cluster, namespace),
        lambda: cluster.get_or_none("Template", ACCOUNT_TEMPLATE, namespace)])
    if isinstance(accounts, ClusterError):
        return ProjectAccount(error=accounts.message)
    return ProjectAccount(accounts[0] if accounts else None,
                          template if isinstance(template, dict) else None)


@dataclass(frozen=True)
class KeyScope:
    scope: str
    project_key: Optional[ProjectKey] = None
    template: Optional[dict] = None
    template_source: str = ""


def resolve(session, name: str, namespace: str, requested: Optional[str], *, local: bool,
            disconnected: bool, skip_secrets: bool, reapply: bool) -> KeyScope:
    """The key scope of deployment `name`: `requested` (--key-scope), else decided here."""
    if requested == DEPLOYMENT:
        return KeyScope(DEPLOYMENT)
    if local or disconnected:
        if requested == PROJECT:
            why = "a disconnected cluster uses no key" if disconnected else \
                "it reads the project's NIM Account from the cluster: drop --offline / --catalog"
            raise UsageError(f"--key-scope project cannot be used here: {why}")
        return KeyScope(DEPLOYMENT)
    if requested is None and skip_secrets:
        return KeyScope(DEPLOYMENT)  # the secrets come from elsewhere, as asked
    found = session.project_account()
    state = account_state(found.account) if found.account is not None else None
    if requested is None:
        existing = _existing_scope(session.cluster, name, namespace, state) if reapply else None
        if existing == DEPLOYMENT:
            return KeyScope(DEPLOYMENT)
        if existing is None and (state is None or not state.ready):
            if state is not None:
                session.env.notice(f"The project's NIM Account {state.name} is not ready "
                                   f"({state.rejection() or 'not validated yet'}): {name} gets "
                                   f"its own secrets.")
            return KeyScope(DEPLOYMENT)
    if found.error and state is None:
        raise Day2Error(f"cannot read the NIM Accounts of {namespace}: {found.error}",
                        hint="ask for read access to accounts.nim.opendatahub.io, or use "
                             "--key-scope deployment")
    state, key_secret, pull_secret, template_name = _ready(state, namespace)
    template = _template(session.cluster, state, template_name, found.template, namespace)
    if requested is None:
        session.env.notice(f"Using the project's NIM key (NIM Account {state.name} is ready): "
                           f"{name} reads {kind_ref('Secret', key_secret)} and gets no secrets "
                           f"of its own; --key-scope deployment gives it its own.")
    return KeyScope(PROJECT, ProjectKey(key_secret, pull_secret), template,
                    f"template {namespace}/{template_name} (status.runtimeTemplate of NIM "
                    f"Account {state.name})")


def _ready(state: Optional[AccountState],
           namespace: str) -> tuple[AccountState, str, str, str]:
    """The ready Account with its key Secret, pull Secret and Template names; else Day2Error."""
    status_cmd = f"`{caller.plugin_cmd('project status')} -n {namespace}`"
    if state is None:
        raise Day2Error(f"--key-scope project needs NIM enabled on project {namespace}, and it "
                        f"has no NIM Account",
                        hint=f"`{caller.plugin_cmd('project enable')} -n {namespace}` enables "
                             f"it, or use --key-scope deployment")
    if not state.ready:
        raise Day2Error(f"the project's NIM Account {state.name} is not ready: "
                        f"{state.rejection() or 'the controller has not validated its key yet'}",
                        hint=f"{status_cmd} shows why; or use --key-scope deployment")
    key_secret, pull_secret, template = state.key_secret, state.pull_secret, state.template
    if not (key_secret and pull_secret and template):
        missing = [f for f, v in (("spec.apiKeySecret", key_secret),
                                  ("status.nimPullSecret", pull_secret),
                                  ("status.runtimeTemplate", template)) if not v]
        raise Day2Error(f"the project's NIM Account {state.name} names no "
                        f"{' / '.join(missing)}", hint=f"{status_cmd} shows it")
    return state, key_secret, pull_secret, template


def _template(cluster, state: AccountState, name: str, probed: Optional[dict],
              namespace: str) -> dict:
    """The Template `name` the ready Account `state` names: `probed` when it is that one."""
    if probed is not None and (probed.get("metadata") or {}).get("name") == name:
        return probed
    found = cluster.get_or_none("Template", name, namespace)
    if found is None:
        raise Day2Error(f"{kind_ref('Template', name)}, the runtime Template of NIM "
                        f"Account {state.name}, does not exist in {namespace}",
                        hint="the NIM controller makes it; check it with "
                             f"`{caller.plugin_cmd('project status')}`")
    return found


def _existing_scope(cluster, name: str, namespace: str,
                    state: Optional[AccountState]) -> Optional[str]:
    """The scheme an existing deployment `name` has (re-applying keeps it), or None."""
    from kubectl_nim.domain.nim_runtime import PROJECT_ACCOUNT, key_scheme, runtime_refs

    try:
        runtime = cluster.get_or_none("ServingRuntime", name, namespace)
    except ClusterError:
        return None  # preflight reports what is wrong with the runtime
    if runtime is None:
        return None
    keys = [state.key_secret] if state is not None and state.key_secret else []
    scheme = key_scheme(name, runtime_refs(runtime), keys)
    return PROJECT if scheme == PROJECT_ACCOUNT else DEPLOYMENT

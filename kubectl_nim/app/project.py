"""`project enable | status | disable`: the per-project NIM Account, as the dashboard's project
settings make and remove it (docs/compatibility.md, per-project NIM Accounts). `project rotate-key`
is app/project_rotate. Every use case reads what it needs in one concurrent round first."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from kubectl_nim import caller
from kubectl_nim.app import Emit
from kubectl_nim.domain import account_objects
from kubectl_nim.domain.account_state import AccountState, account_state
from kubectl_nim.domain.dry_run import DryRun
from kubectl_nim.domain.names import ACCOUNT_KEY_SECRET
from kubectl_nim.domain.refs import kind_ref
from kubectl_nim.environment import Environment
from kubectl_nim.errors import ClusterError, Day2Error, KeyRejected, NimError, NotFound


@dataclass
class Project:
    """What one round of reads says about a project's NIM setup."""

    namespace: str
    account: Optional[dict]          # the Account object (at most one per namespace)
    runtimes: list = field(default_factory=list)
    isvcs: list = field(default_factory=list)

    @property
    def state(self) -> Optional[AccountState]:
        return account_state(self.account) if self.account is not None else None

    @property
    def key_secret(self) -> str:
        state = self.state
        return (state.key_secret if state else None) or ACCOUNT_KEY_SECRET

    @property
    def users(self) -> list[str]:
        """The deployments whose runtime reads the Account's key Secret."""
        if self.account is None:
            return []
        return account_objects.users(self.runtimes, self.isvcs, [self.key_secret])


def read_project(cluster, namespace: str, *extra: Callable[[], object]) -> tuple:
    """The Account, ServingRuntimes and InferenceServices of `namespace`, with `extra` reads,
    all at once. A cluster without the Account CRD has no Account."""
    from kubectl_nim.adapters.kube.cluster import concurrently
    from kubectl_nim.app.accounts import read_accounts

    answers = concurrently(lambda read: read(), [
        lambda: read_accounts(cluster, namespace),
        lambda: cluster.list("ServingRuntime", namespace),
        lambda: cluster.list("InferenceService", namespace), *extra])
    for answer in answers[:3]:
        if isinstance(answer, ClusterError):
            raise answer
    accounts, runtimes, isvcs = answers[:3]
    return (Project(namespace, accounts[0] if accounts else None, runtimes, isvcs),
            *answers[3:])


def require_account(project: Project) -> AccountState:
    state = project.state
    if state is None:
        raise NotFound(f"NIM is not enabled on project {project.namespace} (it has no NIM "
                       f"Account)",
                       hint=f"`{caller.plugin_cmd('project enable')} -n {project.namespace}` "
                            f"enables it")
    return state


# -- enable -----------------------------------------------------------------------------------

def enable(cluster, namespace: str, *, new_key: Callable[[], str],
           validate_key: Callable[[str], None] | None, dry_run: DryRun,
           wait_timeout: float | None, emit: Emit, env: Environment) -> Optional[AccountState]:
    """The key Secret, then the Account (server dry run of both first); the Secret removed
    again when the Account cannot be made. `wait_timeout`: wait that long for the controller to
    validate the key (None: do not wait)."""
    from kubectl_nim.app.access import missing_rights

    project, missing, existing = read_project(
        cluster, namespace,
        lambda: missing_rights(cluster, namespace, account_objects.REQUIRED_RIGHTS),
        lambda: cluster.get_or_none("Secret", ACCOUNT_KEY_SECRET, namespace))
    if project.account is not None:
        raise Day2Error(f"NIM is already enabled on project {namespace} (NIM Account "
                        f"{project.state.name})",
                        hint=f"`{caller.plugin_cmd('project rotate-key')} -n {namespace}` "
                             f"replaces its key")
    if isinstance(missing, ClusterError):
        raise missing
    if missing:
        raise Day2Error(f"you may not enable NIM on project {namespace}: you lack the right to "
                        + ", ".join(missing),
                        hint="ask a project admin for these rights (the dashboard asks for the "
                             "same ones)")
    if isinstance(existing, ClusterError):
        raise existing
    if existing is not None:
        raise Day2Error(f"{kind_ref('Secret', ACCOUNT_KEY_SECRET)} already exists in {namespace} "
                        f"(the older global flow's copy of the key?): enabling NIM would make "
                        f"it the project's",
                        hint=f"move its deployments to their own secrets and remove it "
                             f"(`{caller.plugin_cmd('migrate NAME --cleanup-shared')}` for each), "
                             f"then enable NIM")
    key = new_key()
    if validate_key is not None and dry_run.sends:
        validate_key(key)
    secret = account_objects.key_secret(namespace, key)
    account = account_objects.account(namespace)
    refs = [kind_ref("Secret", ACCOUNT_KEY_SECRET), kind_ref("Account", account["metadata"]["name"])]
    if not dry_run.sends:
        for ref in refs:
            emit(ref, "created")
        return None
    _dry_run_both(cluster, secret, account)
    if not dry_run.persists:
        for ref in refs:
            emit(ref, "created")
        return None
    _create(cluster, secret, "the key Secret", namespace)
    emit(refs[0], "created")
    try:
        cluster.create(account)
    except ClusterError as e:
        _remove_secret(cluster, namespace, env)
        raise Day2Error(f"creating {refs[1]} failed: {e.message}; "
                        f"{refs[0]} was removed again, nothing is left", hint=e.hint) from None
    emit(refs[1], "created")
    if wait_timeout is None:
        env.notice(f"The controller validates the key now: `{caller.plugin_cmd('project status')} "
                   f"-n {namespace}` shows when the project is ready.")
        return None
    return wait_ready(cluster, namespace, account["metadata"]["name"], wait_timeout, env)


def _dry_run_both(cluster, secret: dict, account: dict) -> None:
    from kubectl_nim.adapters.kube.cluster import concurrently

    answers = concurrently(lambda obj: cluster.create(obj, dry_run=True), [secret, account])
    for obj, answer in zip((secret, account), answers):
        if isinstance(answer, ClusterError) and answer.not_found and obj is account:
            raise Day2Error("this cluster does not serve NIM Accounts "
                            "(accounts.nim.opendatahub.io): nothing was written",
                            hint="per-project NIM keys need OpenShift AI with the NIM wizard's "
                                 "controller; deploy with per-deployment secrets instead "
                                 "(`deploy --key-scope deployment`)")
        if isinstance(answer, ClusterError):
            ref = kind_ref(obj["kind"], obj["metadata"]["name"])
            raise Day2Error(f"the server refuses {ref}: {answer.message}; nothing was written",
                            hint=answer.hint)


def _create(cluster, obj: dict, what: str, namespace: str) -> None:
    try:
        cluster.create(obj)
    except ClusterError as e:
        raise Day2Error(f"creating {what} {kind_ref(obj['kind'], obj['metadata']['name'])} in "
                        f"{namespace} failed: {e.message}; nothing was written",
                        hint=e.hint) from None


def _remove_secret(cluster, namespace: str, env: Environment) -> None:
    from kubectl_nim.app.optimistic import delete_object

    try:
        delete_object(cluster, "Secret", ACCOUNT_KEY_SECRET, namespace, sleep=env.sleep)
    except ClusterError as e:
        raise Day2Error(f"creating the NIM Account failed, and removing "
                        f"{kind_ref('Secret', ACCOUNT_KEY_SECRET)} again failed too: "
                        f"{e.message}",
                        hint=f"delete it: `{caller.tool()} delete secret {ACCOUNT_KEY_SECRET} "
                             f"-n {namespace}`") from None


def wait_ready(cluster, namespace: str, name: str, timeout: float,
               env: Environment) -> AccountState:
    """Poll a new Account until the controller validated the key (AccountStatus=True);
    KeyRejected with the controller's own words when it refused the key."""
    from kubectl_nim.app.wait import State, poll

    seen: list[AccountState] = []

    def observe() -> State:
        obj = cluster.get_or_none("Account", name, namespace)
        if obj is None:
            raise Day2Error(f"{kind_ref('Account', name)} disappeared while waiting for it")
        state = account_state(obj)
        seen[:] = [state]
        if state.rejection():
            raise KeyRejected(f"the NIM controller rejected the key of project {namespace}: "
                              f"{state.rejection()}",
                              hint="check the key (a personal key with NGC Catalog access), "
                                   f"then `{caller.plugin_cmd('project rotate-key')}`")
        return State(state.ready, f"AccountStatus {state.readiness}", ())

    poll(observe, lambda state: None, timeout,
         f"{kind_ref('Account', name)} to validate the key",
         f"it may still finish: `{caller.plugin_cmd('project status')} -n {namespace}`",
         clock=env.clock, sleep=env.sleep, warn=env.warn)
    env.notice(f"NIM Account {name} is ready: the key is valid.")
    return seen[0]


# -- status -----------------------------------------------------------------------------------

@dataclass
class ProjectStatus:
    project: Project
    account: AccountState
    objects: dict            # reference -> present | missing | unreadable

    def to_data(self) -> dict:
        return {**self.account.to_data(), "objects": dict(self.objects),
                "deployments": self.project.users}


def status(cluster, namespace: str) -> ProjectStatus:
    """The Account, then (one more round) whether the objects it names exist."""
    from kubectl_nim.adapters.kube.cluster import concurrently

    project = read_project(cluster, namespace)[0]
    state = require_account(project)
    wanted = [("Secret", state.key_secret), ("Secret", state.pull_secret),
              ("ConfigMap", state.config_map), ("Template", state.template)]
    named = [(kind, name) for kind, name in wanted if name]
    answers = concurrently(lambda w: cluster.get_or_none(w[0], w[1], namespace), named)
    objects = {}
    for (kind, name), answer in zip(named, answers):
        if isinstance(answer, ClusterError):
            objects[kind_ref(kind, name)] = "unreadable" if answer.forbidden else answer.message
        else:
            objects[kind_ref(kind, name)] = "missing" if answer is None else "present"
    return ProjectStatus(project, state, objects)


# -- disable ----------------------------------------------------------------------------------

def disable(cluster, namespace: str, *, force: bool, dry_run: DryRun, emit: Emit,
            env: Environment) -> bool:
    """Delete the Account, then its key Secret (the controller's finalizer removes the pull
    secret, ConfigMap and Template). Refused while deployments read the key, unless `force`.
    False when NIM was not enabled."""
    from kubectl_nim.app.optimistic import delete_object

    project = read_project(cluster, namespace)[0]
    if project.account is None:
        env.notice(f"NIM is not enabled on project {namespace} (no NIM Account): nothing to "
                   f"disable.")
        return False
    state = project.state
    users = project.users
    if users and not force:
        raise Day2Error(f"deployments of project {namespace} use its NIM key: "
                        + ", ".join(users),
                        hint="delete them or give them their own secrets (`"
                             + caller.plugin_cmd("migrate NAME --from-project-account")
                             + "`) first, or add --force (they stop pulling and keep the key "
                               "only until they restart)")
    if users:
        env.warn(f"disabling NIM while {', '.join(users)} use its key: they lose it on their "
                 f"next restart")
    steps = [("Account", state.name), ("Secret", project.key_secret)]
    for kind, name in steps:
        ref = kind_ref(kind, name)
        if not dry_run.sends:
            emit(ref, "deleted")
            continue
        try:
            gone = delete_object(cluster, kind, name, namespace, dry_run=dry_run,
                                 sleep=env.sleep)
        except NimError as e:
            if kind == "Account":
                raise Day2Error(f"deleting {ref} failed: {e.message}; nothing was deleted",
                                hint=e.hint) from None
            raise Day2Error(f"{kind_ref('Account', state.name)} is deleted, but deleting {ref} "
                            f"failed: {e.message}",
                            hint=f"delete it: `{caller.tool()} delete secret {name} -n "
                                 f"{namespace}`") from None
        if gone:
            emit(ref, "deleted")
        else:
            env.notice(f"{ref} was already gone.")
    return True

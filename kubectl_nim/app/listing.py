"""`list`'s reads: the NIM deployments of one project, or of every project the user can read
(cluster-wide when allowed, else project by project), with 403s turned into what can be shown.
"""

from __future__ import annotations

from typing import Callable

from kubectl_nim import log

MAX_PARALLEL = 8  # projects read at once when listing project by project


def collect(cluster, namespace: str | None, selector: str | None = None, *,
            warn: Callable[[str], None]) -> list:
    """Rows for one namespace, or (namespace None) for all the user can list: cluster-wide when
    allowed, else project by project (OpenShift projects, else namespaces), skipping the ones
    that answer 403. The NIM Accounts (key scheme project-account) are read cluster-wide too;
    when that is refused, one project at a time for the projects that need them, and a project
    whose Accounts cannot be read at all shows KEY unknown where it would matter. `warn`: the
    run's console (`Environment.warn`)."""
    from kubectl_nim.adapters.kube.api_errors import ApiError
    from kubectl_nim.app.accounts import accounts_or_why

    from kubectl_nim.adapters.kube.cluster import concurrently

    # The InferenceServices and the ServingRuntimes are independent reads: both at once, one
    # round trip of wall time (the runtimes of InferenceServices the selector drops are read for
    # nothing, a small price on a network where a round trip costs 20-100 ms).
    if namespace is not None:
        isvcs, (runtimes, denied), (accounts, why) = _at_once(
            lambda: _isvcs(cluster.list("InferenceService", namespace, label_selector=selector)),
            lambda: _runtimes(cluster, namespace, warn),
            lambda: accounts_or_why(cluster, namespace))
        unknown = {namespace: why} if why else {}
        return _with_accounts_said(warn, _rows_split(isvcs, runtimes, {namespace} if denied
                                                     else set(), accounts, unknown), unknown)
    isvcs, runtimes, accounts = concurrently(lambda read: read(), [
        lambda: _isvcs(cluster.list("InferenceService", all_namespaces=True,
                                    label_selector=selector)),
        lambda: _cluster_runtimes(cluster),
        lambda: accounts_or_why(cluster, all_namespaces=True)])
    if isinstance(isvcs, ApiError) and isvcs.forbidden:
        log.debug("listing InferenceServices cluster-wide is forbidden; going project by project")
        return _per_namespace(cluster, selector, warn)
    for answer in (isvcs, runtimes, accounts):
        if isinstance(answer, Exception):
            raise answer
    accounts, why = accounts
    unreadable: set = set()
    blind: dict = {}
    if why is not None:
        log.debug(f"listing NIM Accounts cluster-wide: {why}; reading them project by project")
    if runtimes is None:
        # Project by project; the Accounts too in the same round when they need it (which
        # projects need them is only known from the runtimes).
        namespaces = sorted({(i.get("metadata") or {}).get("namespace", "") for i in isvcs})
        reads = [(ns, _runtimes) for ns in namespaces] + \
            ([(ns, accounts_or_why) for ns in namespaces] if why is not None else [])
        answers = concurrently(lambda read: _runtimes(cluster, read[0], warn)
                               if read[1] is _runtimes else accounts_or_why(cluster, read[0]),
                               reads, max_workers=MAX_PARALLEL)
        runtimes = []
        for (ns, read), answer in zip(reads, answers):
            if isinstance(answer, Exception):
                raise answer
            if read is _runtimes:
                runtimes += answer[0]
                unreadable |= {ns} if answer[1] else set()
            else:
                accounts += answer[0]
                blind.update({ns: answer[1]} if answer[1] is not None else {})
    elif why is not None:
        accounts, blind = _project_accounts(cluster, _rows_split(isvcs, runtimes, unreadable))
    return _with_accounts_said(warn, _rows_split(isvcs, runtimes, unreadable, accounts, blind),
                               blind)


def _project_accounts(cluster, rows: list) -> tuple[list, dict]:
    """The NIM Accounts of the projects whose rows need them (list_rows.may_use_an_account),
    one project at a time, at most MAX_PARALLEL at once; and {project: why} of those whose
    Accounts could not be read either."""
    from kubectl_nim.adapters.kube.cluster import concurrently
    from kubectl_nim.app.accounts import accounts_or_why
    from kubectl_nim.domain import list_rows

    namespaces = sorted({r.namespace for r in rows if list_rows.may_use_an_account(r)})
    answers = concurrently(lambda ns: accounts_or_why(cluster, ns), namespaces,
                           max_workers=MAX_PARALLEL)
    accounts, blind = [], {}
    for ns, answer in zip(namespaces, answers):
        if isinstance(answer, Exception):  # accounts_or_why returns its failures
            raise answer
        accounts += answer[0]
        if answer[1] is not None:
            blind[ns] = answer[1]
    return accounts, blind


def _with_accounts_said(warn: Callable[[str], None], rows: list, blind: dict) -> list:
    """`rows`, after one note on stderr when a project's unreadable Accounts made a row's KEY
    unknown (which projects, and why)."""
    from kubectl_nim.domain import list_rows
    from kubectl_nim.domain.names import ACCOUNT_KEY_SECRET
    from kubectl_nim.domain.nim_runtime import UNKNOWN

    affected = sorted({r.namespace for r in rows if r.namespace in blind and r.key == UNKNOWN
                       and list_rows.may_use_an_account(r)})
    if affected:
        why = "; ".join(sorted({blind[ns] for ns in affected}))
        warn(f"cannot read the NIM Accounts of {', '.join(affected)} ({why}): KEY is unknown "
             f"for deployments reading {ACCOUNT_KEY_SECRET}, which is either the project's "
             f"NIM Account key or the older flow's shared copy (reading "
             f"accounts.nim.opendatahub.io tells them apart)")
    return rows


def _isvcs(items) -> list:
    """Every field the rows read, checked for its type (domain/shapes): any answer, no crash."""
    from kubectl_nim.domain import shapes

    return shapes.conform_items(items, shapes.INFERENCE_SERVICE)


def _checked_runtimes(items) -> list:
    from kubectl_nim.domain import shapes

    return shapes.conform_items(items, shapes.SERVING_RUNTIME)


def _at_once(*reads):
    """The answers of `reads`, made concurrently (one round trip); the first failure raised."""
    from kubectl_nim.adapters.kube.cluster import concurrently
    from kubectl_nim.errors import ClusterError

    answers = concurrently(lambda read: read(), list(reads))
    for answer in answers:
        if isinstance(answer, ClusterError):
            raise answer
    return answers


def _cluster_runtimes(cluster):
    """Every ServingRuntime (type-checked), or None when listing them cluster-wide is
    forbidden."""
    from kubectl_nim.adapters.kube.api_errors import ApiError

    try:
        return _checked_runtimes(cluster.list("ServingRuntime", all_namespaces=True))
    except ApiError as e:
        if not e.forbidden:
            raise
        return None


def _rows_split(isvcs, runtimes, unreadable: set, accounts=(), blind=()) -> list:
    """Rows; `unreadable`: the projects whose ServingRuntimes could not be listed; `blind`: the
    projects whose NIM Accounts could not be read."""
    from kubectl_nim.domain import list_rows

    readable = [i for i in isvcs if (i.get("metadata") or {}).get("namespace") not in unreadable]
    blind_runtimes = [i for i in isvcs
                      if (i.get("metadata") or {}).get("namespace") in unreadable]
    rows = list_rows.nim_rows(readable, runtimes, accounts=accounts,
                              accounts_unreadable=blind) + \
        list_rows.nim_rows(blind_runtimes, [], runtimes_readable=False)
    return sorted(rows, key=lambda r: (r.namespace, r.name))


def _runtimes(cluster, namespace: str, warn: Callable[[str], None]) -> tuple[list, bool]:
    from kubectl_nim.adapters.kube.api_errors import ApiError

    try:
        return _checked_runtimes(cluster.list("ServingRuntime", namespace)), False
    except ApiError as e:
        if not e.forbidden:
            raise
        warn(f"cannot list ServingRuntimes in {namespace} (HTTP 403): NIM deployments are "
             f"recognised by their InferenceService image only, and KEY shows unknown")
        return [], True


def visible_namespaces(cluster) -> list[str]:
    """OpenShift projects (the API lists exactly those the user can see), else namespaces."""
    from kubectl_nim.adapters.kube.api_errors import ApiError
    from kubectl_nim.errors import NimError

    from kubectl_nim.domain import shapes

    named = shapes.Named({"metadata": shapes.META})
    try:
        doc = cluster.request("GET", "/apis/project.openshift.io/v1/projects")
        items = doc.get("items") if isinstance(doc, dict) else None
        return sorted(i["metadata"]["name"] for i in shapes.conform_items(items or [], named))
    except ApiError as e:
        if not e.forbidden_or_missing:
            raise
    try:
        return sorted(n["metadata"]["name"]
                      for n in shapes.conform_items(cluster.list("Namespace"), named))
    except ApiError as e:
        if not e.forbidden:
            raise
        raise NimError("you may not list InferenceServices across the cluster, nor list the "
                       "projects to look into one by one",
                       hint="drop -A and name a project with -n") from None


def _per_namespace(cluster, selector: str | None, warn: Callable[[str], None]) -> list:
    from kubectl_nim.adapters.kube.api_errors import ApiError
    from kubectl_nim.adapters.kube.cluster import concurrently
    from kubectl_nim.app.accounts import accounts_or_why
    from kubectl_nim.errors import ClusterError

    def one(ns):
        try:
            isvcs = _isvcs(cluster.list("InferenceService", ns, label_selector=selector))
        except ApiError as e:
            if e.forbidden_or_missing:
                return None
            return e
        except ClusterError as e:
            return e
        if not isvcs:
            return isvcs, [], False, ([], None)
        try:
            (runtimes, unreadable), accounts = _at_once(lambda: _runtimes(cluster, ns, warn),
                                                        lambda: accounts_or_why(cluster, ns))
        except ClusterError as e:
            return e
        return isvcs, runtimes, unreadable, accounts

    namespaces = visible_namespaces(cluster)
    answers = concurrently(one, namespaces, max_workers=MAX_PARALLEL)
    isvcs, runtimes, unreadable, accounts, blind, skipped = [], [], set(), [], {}, 0
    for ns, answer in zip(namespaces, answers):
        if answer is None:
            skipped += 1
            continue
        if isinstance(answer, ClusterError):
            raise answer
        isvcs += answer[0]
        runtimes += answer[1]
        if answer[2]:
            unreadable.add(ns)
        accounts += answer[3][0]
        if answer[3][1] is not None:
            blind[ns] = answer[3][1]
    if skipped:
        log.debug(f"skipped {skipped} project(s) whose InferenceServices you may not list")
    return _with_accounts_said(warn, _rows_split(isvcs, runtimes, unreadable, accounts, blind),
                               blind)


def deployment_names(cluster, namespace: str | None) -> list[str]:
    """The InferenceServices in `namespace` (None: the context's), sorted: for completion.
    Their metadata only: a TAB in a project of hundreds must not wait for every spec."""
    return sorted(cluster.list_names("InferenceService", namespace or cluster.namespace))

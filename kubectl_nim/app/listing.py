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
    that answer 403. `warn`: the run's console (`Environment.warn`)."""
    from kubectl_nim.domain import list_rows
    from kubectl_nim.adapters.kube.api_errors import ApiError
    from kubectl_nim.app.accounts import list_accounts

    from kubectl_nim.adapters.kube.cluster import concurrently

    # The InferenceServices and the ServingRuntimes are independent reads: both at once, one
    # round trip of wall time (the runtimes of InferenceServices the selector drops are read for
    # nothing, a small price on a network where a round trip costs 20-100 ms).
    if namespace is not None:
        isvcs, (runtimes, unreadable), accounts = _at_once(
            lambda: _isvcs(cluster.list("InferenceService", namespace, label_selector=selector)),
            lambda: _runtimes(cluster, namespace, warn), lambda: list_accounts(cluster, namespace))
        return list_rows.nim_rows(isvcs, runtimes, runtimes_readable=not unreadable,
                                  accounts=accounts)
    isvcs, runtimes, accounts = concurrently(lambda read: read(), [
        lambda: _isvcs(cluster.list("InferenceService", all_namespaces=True,
                                    label_selector=selector)),
        lambda: _cluster_runtimes(cluster),
        lambda: list_accounts(cluster, all_namespaces=True)])
    if isinstance(isvcs, ApiError) and isvcs.forbidden:
        log.debug("listing InferenceServices cluster-wide is forbidden; going project by project")
        return _per_namespace(cluster, selector, warn)
    for answer in (isvcs, runtimes, accounts):
        if isinstance(answer, Exception):
            raise answer
    if runtimes is None:
        namespaces = sorted({(i.get("metadata") or {}).get("namespace", "") for i in isvcs})
        answers = concurrently(lambda ns: _runtimes(cluster, ns, warn), namespaces,
                               max_workers=MAX_PARALLEL)
        runtimes, unreadable = [], set()
        for ns, answer in zip(namespaces, answers):
            if isinstance(answer, Exception):
                raise answer
            runtimes += answer[0]
            unreadable |= {ns} if answer[1] else set()
        return _rows_split(isvcs, runtimes, unreadable, accounts)
    return list_rows.nim_rows(isvcs, runtimes, accounts=accounts)


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


def _rows_split(isvcs, runtimes, unreadable: set, accounts=()) -> list:
    from kubectl_nim.domain import list_rows

    readable = [i for i in isvcs if (i.get("metadata") or {}).get("namespace") not in unreadable]
    blind = [i for i in isvcs if (i.get("metadata") or {}).get("namespace") in unreadable]
    rows = list_rows.nim_rows(readable, runtimes, accounts=accounts) + \
        list_rows.nim_rows(blind, [], runtimes_readable=False)
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
    from kubectl_nim.app.accounts import list_accounts
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
            return isvcs, [], False, []
        try:
            (runtimes, unreadable), accounts = _at_once(lambda: _runtimes(cluster, ns, warn),
                                                        lambda: list_accounts(cluster, ns))
        except ClusterError as e:
            return e
        return isvcs, runtimes, unreadable, accounts

    namespaces = visible_namespaces(cluster)
    answers = concurrently(one, namespaces, max_workers=MAX_PARALLEL)
    isvcs, runtimes, unreadable, accounts, skipped = [], [], set(), [], 0
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
        accounts += answer[3]
    if skipped:
        log.debug(f"skipped {skipped} project(s) whose InferenceServices you may not list")
    return _rows_split(isvcs, runtimes, unreadable, accounts)


def deployment_names(cluster, namespace: str | None) -> list[str]:
    """The InferenceServices in `namespace` (None: the context's), sorted: for completion.
    Their metadata only: a TAB in a project of hundreds must not wait for every spec."""
    return sorted(cluster.list_names("InferenceService", namespace or cluster.namespace))

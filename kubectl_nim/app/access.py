"""Asking the API server what the user may do (SelfSubjectAccessReview), before a use case
that needs several rights starts writing."""

from __future__ import annotations

from typing import Iterable

from kubectl_nim import log

_REVIEWS = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"


def right_name(verb: str, group: str, resource: str) -> str:
    """`create accounts.nim.opendatahub.io`, `delete secrets`: as `kubectl auth can-i` takes it."""
    return f"{verb} {resource}.{group}" if group else f"{verb} {resource}"


def missing_rights(cluster, namespace: str,
                   rights: Iterable[tuple[str, str, str]]) -> list[str]:
    """Of `rights` ((verb, group, resource) in `namespace`), those the user lacks, asked all at
    once. A review the server does not answer counts as allowed: the writes themselves are the
    final judges, and their refusals are reported too."""
    from kubectl_nim.adapters.kube.cluster import concurrently
    from kubectl_nim.errors import ClusterError

    rights = list(rights)

    def review(right):
        verb, group, resource = right
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": {"namespace": namespace, "verb": verb,
                                                "group": group, "resource": resource}}}
        return cluster.request("POST", _REVIEWS, body=body)

    missing = []
    for right, answer in zip(rights, concurrently(review, rights)):
        if isinstance(answer, ClusterError):
            log.debug(f"cannot ask whether you may {right_name(*right)}: {answer.message}")
            continue
        status = answer.get("status") if isinstance(answer, dict) else None
        if isinstance(status, dict) and status.get("allowed") is not True:
            missing.append(right_name(*right))
    return missing

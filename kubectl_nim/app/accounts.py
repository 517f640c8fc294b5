"""Reading a project's NIM Accounts: the one reader (a cluster without the Account CRD has
none), which of its Secrets belong to one (the decision itself is domain/project_account), and
the lenient read of the verbs that only show the key scheme (`accounts_or_why`: none when they
cannot be read, and why not, for `list` and `status` to say so)."""

from __future__ import annotations

from kubectl_nim.domain.project_account import AccountSecrets, account_secrets


def read_accounts(cluster, namespace: str | None = None, all_namespaces: bool = False) -> list:
    """The NIM Accounts of `namespace` (or of every namespace); none when the cluster does not
    serve Accounts (the CRD is not installed). Any other failure raises its ClusterError."""
    from kubectl_nim.errors import ClusterError

    try:
        return cluster.list("Account", namespace, all_namespaces=all_namespaces)
    except ClusterError as e:
        if e.not_found:
            return []
        raise


def read_account_secrets(cluster, namespace: str) -> AccountSecrets:
    """The Secrets the Accounts of `namespace` own. A cluster that does not serve Accounts has
    none; any other failure to read them (forbidden, a server error) is reported in
    `unreadable`, so that callers keep the names an Account would use."""
    from kubectl_nim.errors import ClusterError

    try:
        accounts = read_accounts(cluster, namespace)
    except ClusterError as e:
        return AccountSecrets(unreadable="forbidden" if e.forbidden else e.message)
    return account_secrets(accounts)


def accounts_or_why(cluster, namespace: str | None = None,
                    all_namespaces: bool = False) -> tuple[list, str | None]:
    """(the NIM Accounts, None), or ([], why) when they could not be read (forbidden, a server
    error): `list` and `status` still answer, and the key scheme they could not tell is
    unknown."""
    from kubectl_nim import log
    from kubectl_nim.errors import ClusterError

    try:
        return read_accounts(cluster, namespace, all_namespaces), None
    except ClusterError as e:
        log.debug(f"NIM Accounts not read ({e.message})")
        return [], "forbidden" if e.forbidden else e.message

"""kubectl's connection flags against a real API server: impersonation is enforced by the
server's RBAC, and --server/--token/--certificate-authority work without a kubeconfig."""

from __future__ import annotations

import json

from tests.realcluster.server import ADMIN_TOKEN


def test_as_impersonates_a_user_the_server_then_refuses(real):
    result = real.nim("list", "--as", "dev")
    assert result.exit_code == 1
    assert 'User "dev" cannot list' in result.stderr
    # kubectl, given the same flag, is refused the same way.
    kubectl = real.kubectl("get", "inferenceservices", "-n", real.ns, "--as", "dev", check=False)
    assert kubectl.returncode == 1 and 'User "dev" cannot list' in kubectl.stderr


def test_as_group_gives_the_impersonated_user_the_groups_rights(real):
    result = real.nim("list", "-o", "json", "--as", "dev", "--as-group", "system:masters")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["items"] == []


def test_server_token_and_ca_flags_need_no_kubeconfig(real, tmp_path):
    """No --kubeconfig, no $KUBECONFIG, no ~/.kube/config (tests run with an empty HOME)."""
    ca = tmp_path / "ca.crt"
    ca.write_bytes(real.server.ca_data)
    result = real.invoke("list", "-o", "json", "-n", real.ns, "--server", real.server.url,
                         "--token", ADMIN_TOKEN, "--certificate-authority", str(ca))
    assert result.exit_code == 0, result.stderr
    assert ADMIN_TOKEN not in result.stdout + result.stderr

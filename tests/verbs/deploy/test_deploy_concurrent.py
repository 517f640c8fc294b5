"""Two `deploy` runs of one name with different keys, at the same time: exactly one wins, the other
fails naming the winner, and the deployment left is the winner's, whole, with one key
(docs/design.md#what-deploy-creates).

Real concurrent `kubectl-nim` processes against one fake API server. Its rules force the
interleaving in which each run met the other's first object (both rolled back, nothing left):
both preflights overlap, then the first real api-key Secret create lands at once while the
first pull-secret create is held, so each run creates one Secret the other needs."""

from __future__ import annotations

from tests.helpers.day2 import MODEL, isvc, keys_of, runtime, secret
from tests.helpers.process import finish, spawn

KEY_A = "nvapi-AAAA-concurrent-deploy-0123456789"
KEY_B = "nvapi-BBBB-concurrent-deploy-0123456789"
REAL = r"(\?(?![^#]*dryRun)[^#]*)?"   # a create's target without dryRun=All


def _deploy(kubeconfig, key, tmp_path):
    return spawn("deploy", "x", "--model", MODEL, "--skip-key-validation",
                 "--kubeconfig", kubeconfig, key=key, home=str(tmp_path))


def _force_both_to_meet_each_other(server):
    # Both runs' preflights wait 1.5 s for the project: their dry runs, answered at once, both
    # see nothing there yet, and their writes start together.
    server.fail("GET", r"/api/v1/namespaces/default$", 0, nth=1, times=10, hang_seconds=1.5)
    # The first run's pull-secret create is held: the second run's lands first. The second run's
    # ServingRuntime create is held longer, so its other answers (and any rollback) come late.
    server.fail("POST", rf"/secrets{REAL}#nvidia-nim-image-pull-x$", 0, nth=1, times=1,
                hang_seconds=0.5)
    server.fail("POST", rf"/servingruntimes{REAL}#x$", 0, nth=2, times=1, hang_seconds=1.5)


def test_one_of_two_concurrent_deploys_wins_and_the_other_names_it(kube_server, kubeconfig,
                                                                    tmp_path):
    _force_both_to_meet_each_other(kube_server)
    runs = [_deploy(kubeconfig, KEY_A, tmp_path), _deploy(kubeconfig, KEY_B, tmp_path)]
    a, b = (finish(run, timeout=60) for run in runs)
    assert sorted([a.code, b.code]) == [0, 1], (a.stderr, b.stderr)
    winner, loser = (a, b) if a.code == 0 else (b, a)
    winner_key = KEY_A if winner is a else KEY_B
    assert "another deploy of 'x'" in loser.stderr, loser.stderr
    assert "servingruntime.serving.kserve.io/x" in loser.stderr   # what the winner made first
    assert loser.stdout == "" or "created" not in loser.stdout.splitlines()[-1:]
    # The winner's deployment, whole, with its key in both Secrets.
    assert runtime(kube_server, "x") is not None and isvc(kube_server, "x") is not None
    assert keys_of(kube_server, "x") == (winner_key, winner_key)
    assert secret(kube_server, "nvidia-nim-secrets-x") is not None
    for run in (a, b):
        for key in (KEY_A, KEY_B):
            assert key not in run.stdout + run.stderr


def test_concurrent_deploys_with_random_timing_leave_one_whole_deployment(kube_server,
                                                                          kubeconfig, tmp_path):
    kube_server.set_latency(20)
    for round_ in range(4):
        name = f"x{round_}"
        runs = [spawn("deploy", name, "--model", MODEL, "--skip-key-validation",
                      "--kubeconfig", kubeconfig, key=key, home=str(tmp_path))
                for key in (KEY_A, KEY_B)]
        a, b = (finish(run, timeout=60) for run in runs)
        assert sorted([a.code, b.code]) == [0, 1], (round_, a.stderr, b.stderr)
        winner_key = KEY_A if a.code == 0 else KEY_B
        assert keys_of(kube_server, name) == (winner_key, winner_key)
        assert isvc(kube_server, name) is not None

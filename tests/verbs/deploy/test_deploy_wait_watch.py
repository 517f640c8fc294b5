"""`--wait` follows a watch of the InferenceService (app/follow.py): it returns within a round
trip of Ready however long its polling interval, resumes a broken watch from the last
resourceVersion it saw (bookmarks included), starts again from the current state after 410
Gone, and polls a server that does not watch. Real time against the fake API server; the
polling interval is set far beyond the test's patience, so only the watch can be why it returns."""

from __future__ import annotations

import threading
import time


from kubectl_nim.app.follow import Follower
from kubectl_nim.app.wait import Reporter, wait_ready
from tests.helpers.deploy import NAME, NS, cluster, project  # noqa: F401
from tests.helpers.wait import NOT_READY, READY, Echo, isvc

REACTION = 0.3  # the goal: out of the wait this soon after Ready


def _waiting(cluster, interval=60.0, timeout=30.0):
    """wait_ready on a thread: (result holder, thread)."""
    result: dict = {}

    def run():
        try:
            result["state"] = wait_ready(
                cluster, NAME, NS, timeout, Reporter(Echo(), tty=False, clock=time.monotonic),
                interval=interval, clock=time.monotonic, sleep=time.sleep,
                warn=lambda text: None, watch=True)
        except Exception as e:  # noqa: BLE001 - handed to the test
            result["error"] = e
        result["done"] = time.monotonic()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return result, thread


def _watches(server) -> list[dict]:
    return [r for r in server.requests if "watch=true" in r["query"]]


def _until(predicate, seconds=5.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def _ready_now(server) -> float:
    server.put_object(isvc(READY))
    return time.monotonic()


def test_the_wait_returns_at_once_when_the_inference_service_turns_ready(cluster, project):
    server = project.server
    server.put_object(isvc(NOT_READY))
    result, thread = _waiting(cluster)
    _until(lambda: _watches(server))
    time.sleep(0.2)
    ready_at = _ready_now(server)
    thread.join(5)
    assert result["state"].ready
    assert result["done"] - ready_at < REACTION
    watch = _watches(server)[0]["query"]
    assert "fieldSelector=metadata.name%3Dllama" in watch and "resourceVersion=" in watch
    assert "allowWatchBookmarks=true" in watch


def test_a_broken_watch_is_resumed_from_its_resource_version(cluster, project):
    server = project.server
    server.put_object(isvc(NOT_READY))
    result, thread = _waiting(cluster)
    _until(lambda: _watches(server))
    server.put_object(isvc(NOT_READY))  # a change the first watch sees (a newer version)
    time.sleep(0.2)
    server.break_watches()
    _until(lambda: len(_watches(server)) == 2)
    first, second = (dict(p.split("=", 1) for p in w["query"].split("&"))
                     for w in _watches(server))
    assert int(second["resourceVersion"]) > int(first["resourceVersion"])
    ready_at = _ready_now(server)
    thread.join(5)
    assert result["state"].ready and result["done"] - ready_at < REACTION


def test_after_410_gone_the_watch_starts_again_from_the_current_state(cluster, project):
    server = project.server
    server.put_object(isvc(NOT_READY))
    result, thread = _waiting(cluster)
    _until(lambda: _watches(server))
    server.compact()
    server.break_watches()  # the resume asks for a version the server no longer has
    _until(lambda: len(_watches(server)) >= 3)
    assert "resourceVersion=" not in _watches(server)[2]["query"]
    ready_at = _ready_now(server)
    thread.join(5)
    assert result["state"].ready and result["done"] - ready_at < REACTION


def test_a_server_that_does_not_watch_is_polled(cluster, project):
    server = project.server
    server.set_watch(False)
    server.put_object(isvc(NOT_READY))
    result, thread = _waiting(cluster, interval=0.5)
    _until(lambda: _watches(server))
    time.sleep(0.3)
    ready_at = _ready_now(server)
    thread.join(5)
    assert result["state"].ready
    assert result["done"] - ready_at < 0.5 + REACTION
    assert len(_watches(server)) == 1  # refused once, then polling
    gets = [r for r in server.requests if r["path"].endswith(f"/inferenceservices/{NAME}")]
    assert len(gets) >= 2


def test_bookmarks_move_the_resource_version_a_resumed_watch_starts_from(cluster, project):
    server = project.server
    server.put_object(isvc(NOT_READY))
    server.put_object({"apiVersion": "v1", "kind": "ConfigMap",  # newer versions, not watched
                       "metadata": {"name": "other", "namespace": NS}})
    first = server.get_object("serving.kserve.io/v1beta1", "inferenceservices", NS, NAME)
    follower = Follower(cluster, "InferenceService", NS, first["metadata"]["resourceVersion"],
                        name=NAME, watch_seconds=1).start()
    try:
        _until(lambda: len(_watches(server)) >= 2, 4)  # the first one ended at its timeout
        assert int(follower.resource_version) > int(first["metadata"]["resourceVersion"])
        assert not follower.changed.is_set()  # a bookmark is not a change
    finally:
        follower.stop()

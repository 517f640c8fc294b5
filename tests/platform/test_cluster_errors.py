"""`ClusterError.may_have_applied` / `may_land_later`: the one answer to "may this
failed write have been carried out?", used by deploy's rollback and the day-2 writes alike."""

from __future__ import annotations

import pytest

from kubectl_nim.errors import ClusterError

pytestmark = pytest.mark.pure


@pytest.mark.parametrize("error, applied, later", [
    (ClusterError("no answer"), True, True),                       # dropped connection
    (ClusterError("timed out", timed_out=True), True, True),
    (ClusterError("refused", never_sent=True), False, False),      # provably never sent
    (ClusterError("gateway timeout", status=504), True, True),
    (ClusterError("internal", status=500), True, False),          # final answer, maybe applied
    (ClusterError("unavailable", status=503), True, False),
    (ClusterError("conflict", status=409), False, False),
    (ClusterError("forbidden", status=403), False, False),
    (ClusterError("invalid", status=422), False, False),
])
def test_may_have_applied(error, applied, later):
    assert (error.may_have_applied, error.may_land_later) == (applied, later)


def test_timed_out_is_a_flag_or_a_504_never_the_message_text():
    assert ClusterError("GET /x timed out after 1s", timed_out=True).timed_out
    assert ClusterError("gateway", status=504).timed_out
    # A message that merely says "timed out" (the server's words, a webhook's) is no timeout of ours.
    assert not ClusterError("admission webhook timed out", status=500).timed_out


# What each answer means to the use cases (app/ asks these, never an HTTP code).
MEANINGS = ("forbidden", "not_found", "forbidden_or_missing", "conflict", "bad_request",
            "rejected_content")


@pytest.mark.parametrize("status, meant", [
    (403, {"forbidden", "forbidden_or_missing"}),
    (404, {"not_found", "forbidden_or_missing"}),
    (409, {"conflict"}),
    (400, {"bad_request", "rejected_content"}),
    (422, {"rejected_content"}),
    (401, set()), (429, set()), (500, set()), (None, set()),
])
def test_what_an_answer_means(status, meant):
    error = ClusterError("x", status=status)
    assert {m for m in MEANINGS if getattr(error, m)} == meant



@pytest.mark.parametrize("status, transient", [(None, True), (429, True), (500, True),
                                               (503, True), (504, True), (400, False),
                                               (403, False), (404, False), (409, False),
                                               (422, False)])
def test_the_error_says_whether_it_is_transient(status, transient):
    """The one answer to "worth another try?" (adapters/retry pauses; optimistic adds 409)."""
    from kubectl_nim.errors import ClusterError

    assert ClusterError("x", status=status).transient is transient

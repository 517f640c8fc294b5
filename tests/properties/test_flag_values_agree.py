"""`deploy`, `diff` and `cache` take the same flags from the same values (domain/deploy_values), so
they refuse a bad one with the same words and exit code
(docs/architecture.md#where-each-rule-lives)."""

from __future__ import annotations

import re

import pytest

MODEL = "llama-3.1-8b-instruct"

REFUSED = [
    (("--pvc-size", "0"),
     "error: --pvc-size '0' is too small: a claim needs at least one byte; for example 30Gi"),
    (("--existing-pvc", "shared", "--storage-class", "fast"),
     "error: --storage-class applies only to a new PVC, not to --existing-pvc"),
    (("--profile", "two words"), "error: --profile 'two words' is not a profile id or name; "
                                 "list them with `kubectl nim cache profiles MODEL`"),
    (("--hardware-profile-namespace", "apps"),
     "error: --hardware-profile-namespace needs --hardware-profile"),
]
VERBS = {"deploy": ("deploy", "x", "--offline", "--dry-run=client", "--skip-secrets"),
         "diff": ("diff", "x"),
         "cache": ("cache", "x", "--offline", "--dry-run=client")}


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize("flags, refusal", REFUSED, ids=lambda v: re.sub(r"\W", "", str(v))[:20])
def test_deploy_diff_and_cache_refuse_a_bad_flag_alike(nim, verb, flags, refusal):
    result = nim(*VERBS[verb], "--model", MODEL, *flags)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == refusal, result.stderr
    assert "Traceback" not in result.stderr

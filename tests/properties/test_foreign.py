"""nim_runtime.is_foreign: which deployments --apply and delete must never touch."""

import pytest

from kubectl_nim.domain.nim_runtime import is_foreign

pytestmark = pytest.mark.pure

NIM_SR = {"metadata": {"annotations": {"runtimes.opendatahub.io/nvidia-nim": "true"}},
          "spec": {"containers": [{"name": "kserve-container", "image": "nvcr.io/nim/x:1"}]}}
VLLM_SR = {"spec": {"containers": [{"name": "kserve-container", "image": "quay.io/vllm:1"}]}}
ISVC = {"spec": {"predictor": {"model": {"runtime": "x", "modelFormat": {"name": "x"}}}}}
STORAGE_ISVC = {"spec": {"predictor": {"model": {"runtime": "x", "storageUri": "oci://q/m"}}}}


def test_a_runtime_decides_when_there_is_one():
    assert not is_foreign(ISVC, NIM_SR)
    assert is_foreign(ISVC, VLLM_SR)


def test_without_a_runtime_only_positive_evidence_makes_it_foreign():
    assert not is_foreign(None, None)
    assert not is_foreign(ISVC, None)            # half-made NIM deployment: may be cleaned up
    assert is_foreign(STORAGE_ISVC, None)        # loads a model from storage: not NIM
    own_image = {"spec": {"predictor": {"containers": [{"image": "quay.io/x/y:1"}]}}}
    assert is_foreign(own_image, None)
    nim_image = {"spec": {"predictor": {"containers": [{"image": "nvcr.io/nim/meta/m:1"}]}}}
    assert not is_foreign(nim_image, None)

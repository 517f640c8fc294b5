"""The cache Job's rules (domain/cache_job) and the proxy rendering (domain/proxy): pure."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from kubectl_nim.domain import cache_job, proxy
from kubectl_nim.domain.catalog import Model
from kubectl_nim.domain.deploy_values import Storage
from kubectl_nim.errors import UsageError

pytestmark = pytest.mark.pure

MODEL = Model(name="llama-3.1-8b-instruct", namespace="nim/meta", tags=("1.15.5",),
              latest_tag="1.15.5")
KEY = "nvapi-domain-test-key"


def options(**kw):
    return cache_job.CacheOptions(**{"name": "llama", "namespace": "team", "model": MODEL,
                                     "tag": "1.15.5", **kw})


@pytest.mark.parametrize("text,expected", [
    ("nvidia.com/gpu:NoSchedule", {"key": "nvidia.com/gpu", "operator": "Exists",
                                   "effect": "NoSchedule"}),
    ("gpu=a100:NoExecute", {"key": "gpu", "operator": "Equal", "value": "a100",
                            "effect": "NoExecute"}),
    ("dedicated", {"key": "dedicated", "operator": "Exists"}),
    ("dedicated=ml", {"key": "dedicated", "operator": "Equal", "value": "ml"})])
def test_tolerations(text, expected):
    assert cache_job.parse_toleration(text).to_dict() == expected


@pytest.mark.parametrize("bad", ["", ":NoSchedule", "k:Never", "=v"])
def test_bad_tolerations(bad):
    with pytest.raises(UsageError):
        cache_job.parse_toleration(bad)


@pytest.mark.parametrize("kw", [{"name": "Llama"}, {"name": "x" * 49}, {"profile": "two words"}])
def test_bad_options(kw):
    with pytest.raises(UsageError):
        options(**kw)


def test_render_order_names_and_no_key_in_the_job():
    objects = cache_job.render_cache(options(profile="p1"), KEY)
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("Secret", "nim-cache-llama"), ("Secret", "nim-cache-pull-llama"),
        ("PersistentVolumeClaim", "nim-pvc-llama"), ("Job", "nim-cache-llama")]
    job = json.dumps(objects[-1])
    assert KEY not in job and "nvapi" not in job
    assert cache_job.cache_record(objects[2]) == {"model": MODEL.name, "tag": "1.15.5",
                                                  "profile": "p1"}


def test_existing_pvc_is_not_rendered():
    objects = cache_job.render_cache(options(storage=Storage(existing="models")), KEY)
    assert [o["kind"] for o in objects] == ["Secret", "Secret", "Job"]


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(
                        st.sampled_from(["status", "conditions", "type", "reason", "message",
                                         "succeeded", "failed", "active", "metadata",
                                         "annotations"]), c, max_size=4), max_leaves=12))
def test_job_state_and_record_never_break_on_odd_answers(obj):
    state = cache_job.job_state(obj)
    assert isinstance(state.summary, str)
    record = cache_job.cache_record(obj) if isinstance(obj, dict) else None
    assert record is None or all(isinstance(v, str) for v in record.values())


def test_job_states():
    assert cache_job.job_state({"status": {"active": 1}}) == \
        cache_job.JobState(False, False, "pods: active 1")
    assert cache_job.job_state({"status": {"succeeded": 1}}).done
    failed = cache_job.job_state({"status": {"conditions": [
        {"type": "Failed", "status": "True", "reason": "DeadlineExceeded"}]}})
    assert (failed.done, failed.failed, failed.reason) == (True, True, "DeadlineExceeded")
    assert cache_job.job_state(None).failed


def test_proxy_redaction_and_secrets():
    url = "http://bob:pa55@proxy:3128"
    assert proxy.redacted(url) == "http://***@proxy:3128"
    assert proxy.redacted("http://proxy:3128") == "http://proxy:3128"
    assert set(proxy.secrets_of(url)) == {url, "pa55", "bob:pa55"}
    with pytest.raises(UsageError) as e:
        proxy.ProxySettings(https_proxy="socks5://bob:pa55@proxy")
    assert "pa55" not in str(e.value)


def test_add_to_pod_plain_proxy_and_ca_file():
    settings = proxy.ProxySettings(https_proxy="http://proxy:3128", no_proxy="a,b",
                                   ca_bundle="-----BEGIN CERTIFICATE-----\nx\n")
    pod = {"containers": [{"name": "c", "env": [{"name": "HTTPS_PROXY", "value": "old"}]}]}
    out = proxy.add_to_pod(pod, "c", settings, "owner")
    env = out["containers"][0]["env"]
    assert [e["name"] for e in env] == ["HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy",
                                        "SSL_CERT_FILE"]
    assert env[0]["value"] == "http://proxy:3128"
    assert out["volumes"][0]["configMap"]["name"] == "nim-proxy-ca-owner"
    assert pod["containers"][0]["env"] == [{"name": "HTTPS_PROXY", "value": "old"}]  # a copy
    cm = proxy.ca_configmap(settings, "owner", "team")
    assert cm["data"] == {"ca-bundle.crt": "-----BEGIN CERTIFICATE-----\nx\n"}
    with pytest.raises(UsageError):
        proxy.ProxySettings(ca_bundle="not a pem")


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(
                        st.sampled_from(["spec", "scheduling", "type", "node", "nodeSelector",
                                         "tolerations", "key", "value", "operator", "effect",
                                         "identifiers", "identifier", "defaultCount"]), c,
                        max_size=4), max_leaves=14))
def test_hardware_profile_placement_never_breaks_on_odd_profiles(obj):
    if not isinstance(obj, dict):
        obj = {"spec": obj}
    try:
        selector, tolerations, gpus = cache_job.profile_scheduling(obj, "p")
    except UsageError:
        return
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in selector)
    assert all(isinstance(t.key, str) for t in tolerations)
    assert gpus is None or (isinstance(gpus, int) and gpus >= 0)


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(
                        st.sampled_from(["metadata", "creationTimestamp", "status",
                                         "containerStatuses", "state", "waiting", "reason",
                                         "message", "conditions", "type"]), c, max_size=4),
                    max_leaves=14))
def test_pod_problem_never_breaks_on_odd_pods(obj):
    found = cache_job.pod_problem(obj if isinstance(obj, list) else [obj])
    assert found is None or isinstance(found, str)


def test_pod_problems():
    unschedulable = {"status": {"conditions": [{"type": "PodScheduled", "status": "False",
                                                "message": "0/3 nodes: untolerated taint"}]}}
    assert cache_job.pod_problem([unschedulable]) == "Unschedulable: 0/3 nodes: untolerated taint"
    assert cache_job.pod_problem([{"status": {"phase": "Running"}}]) is None

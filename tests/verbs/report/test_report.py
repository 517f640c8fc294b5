"""`report`: the support bundle never holds the key, raw or base64, and holds what helps.

Status written by hand: speed, failing states staged at once; real: test_day2_control_plane_real."""

from __future__ import annotations

import base64
import json
import tarfile

import pytest
import yaml

from kubectl_nim.domain import names, redaction
from tests.helpers.obs import NAME, NS, POD, cluster, deployment, not_nim, pod  # noqa: F401

KEY = "nvapi-Zr3aLkEy-0123456789abcdefghijklmnopqrstuvwxyz"


def key_forms(key: str) -> list[str]:
    auth = f"$oauthtoken:{key}"
    docker = json.dumps({"auths": {"nvcr.io": {"username": "$oauthtoken", "password": key,
                                               "auth": base64.b64encode(auth.encode()).decode()}}})
    return [key, base64.b64encode(key.encode()).decode(),
            base64.b64encode(auth.encode()).decode(),
            base64.b64encode(docker.encode()).decode(),
            base64.b64encode(f"x{key}".encode()).decode()[4:-4],
            base64.b64encode(f"xy{key}".encode()).decode()[4:-4]]


def members(path) -> dict[str, str]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers()}


def test_report_holds_the_deployment_and_never_the_key(nim, cluster, tmp_path):
    server, kc = cluster
    deployment(server, ready=False, key=KEY)
    pod(server, ready=False, restarts=1, state={"waiting": {"reason": "CrashLoopBackOff"}},
        last={"reason": "Error", "exitCode": 1})
    # The key leaks everywhere it can: a log line, an inline env value, an annotation.
    server.pods.set_log(NS, POD, "kserve-container",
                        ["starting", f"NGC_API_KEY={KEY}",
                         f"auth {base64.b64encode(KEY.encode()).decode()}"])
    server.pods.set_log(NS, POD, "kserve-container", ["crashed with " + KEY], previous=True)
    runtime = server.get_object("serving.kserve.io/v1alpha1", "servingruntimes", NS, NAME)
    runtime["spec"]["containers"][0]["env"].append({"name": "EXTRA_API_KEY", "value": KEY})
    runtime["metadata"]["annotations"]["note"] = f"deployed with {KEY}"
    server.put_object(runtime)
    out = tmp_path / "bundle.tar.gz"
    result = nim("report", NAME, "-f", str(out), *kc)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"Wrote {out} (")
    files = members(out)
    for name, text in files.items():
        for form in key_forms(KEY):
            assert form not in text, (name, form)
    with tarfile.open(out, "r:gz") as tar:  # and not in the raw archive either
        raw = b"".join(tar.extractfile(m).read() for m in tar.getmembers())
    assert KEY.encode() not in raw
    root = next(iter(files)).split("/")[0]
    assert root.startswith(f"nim-report-{NAME}-")
    names = {n.split("/", 1)[1] for n in files}
    assert {"version.txt", "status.json", "objects/inferenceservice.yaml",
            "objects/servingruntime.yaml", f"objects/secret-nvidia-nim-secrets-{NAME}.yaml",
            f"objects/pvc-nim-pvc-{NAME}.yaml", "events.yaml", f"pods/{POD}.yaml",
            f"logs/{POD}/kserve-container.log", f"logs/{POD}/kserve-container.previous.log",
            "config-view.yaml"} <= names
    secret = yaml.safe_load(files[f"{root}/objects/secret-nvidia-nim-secrets-{NAME}.yaml"])
    assert secret["data"]["NGC_API_KEY"] == f"<redacted> ({len(KEY)} bytes)"
    assert json.loads(files[f"{root}/status.json"])["verdict"] == "Failed"
    assert "starting\n" in files[f"{root}/logs/{POD}/kserve-container.log"]
    assert "kubectl-nim " in files[f"{root}/version.txt"]
    # the service does not exist: named, not fatal
    assert f"service/{NAME}-predictor: not found" in files[f"{root}/errors.txt"]
    assert KEY not in result.stdout + result.stderr


def test_report_of_forbidden_logs_still_writes(nim, cluster, tmp_path):
    server, kc = cluster
    deployment(server, key=KEY)
    pod(server)
    server.deny("get", "pods/log")
    out = tmp_path / "b.tar.gz"
    result = nim("report", NAME, "-f", str(out), *kc)
    assert result.exit_code == 0, result.stderr
    errors = [t for n, t in members(out).items() if n.endswith("errors.txt")][0]
    assert 'cannot get resource "pods/log"' in errors


def test_report_refuses_missing_and_foreign_deployments(nim, cluster, tmp_path):
    server, kc = cluster
    not_nim(server)
    out = tmp_path / "b.tar.gz"
    missing = nim("report", "nope", "-f", str(out), *kc)
    assert missing.exit_code == 1 and "kubectl nim list" in missing.stderr
    other = nim("report", "sklearn", "-f", str(out), *kc)
    assert other.exit_code == 1 and "is not a NIM deployment" in other.stderr
    assert [p.name for p in tmp_path.iterdir() if p.name != "kubeconfig"] == []


@pytest.mark.parametrize("prefix", ["", "a", "ab", "abc", '{"auth":"'])
def test_scrub_removes_every_base64_alignment(prefix):
    for encoded in (base64.b64encode((prefix + KEY + "tail").encode()).decode(),
                    prefix + KEY):
        cleaned = redaction.scrub(f"x {encoded} y", {KEY})
        assert KEY not in cleaned
        for form in key_forms(KEY)[:2]:
            assert form not in cleaned
        assert "<redacted>" in cleaned


def test_redact_object_keeps_shape():
    secret = {"kind": "Secret", "data": {"a": base64.b64encode(b"12345").decode()},
              "metadata": {"annotations": {names.LAST_APPLIED_ANNOTATION: "{...}"}}}
    out = redaction.redact_object(secret)
    assert out["data"] == {"a": "<redacted> (5 bytes)"}
    assert out["metadata"]["annotations"][names.LAST_APPLIED_ANNOTATION] == "<redacted>"
    assert secret["data"]["a"] != out["data"]["a"]  # the input is untouched


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_key_chars = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                     min_size=20, max_size=70)


@settings(max_examples=200, deadline=None)
@given(body=_key_chars, before=st.binary(max_size=7), after=st.binary(max_size=7))
def test_scrub_never_leaves_a_key_inside_any_base64(body, before, after):
    key = "nvapi-" + body
    blob = base64.b64encode(before + key.encode() + after).decode()
    cleaned = redaction.scrub(f"{blob}\n{key}\n", {key})
    assert key not in cleaned
    # no 12-character run of the key's own base64 survives, at any alignment
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + key.encode()).decode()
        inner = encoded[4:-4]
        for i in range(0, max(1, len(inner) - 12)):
            assert inner[i:i + 12] not in cleaned or len(inner) < 12


# --- where the bundle goes ---------------------------------------------------------------------

def test_report_file_dash_is_stdout_and_o_is_refused(nim, cluster, tmp_path):
    import io

    server, kc = cluster
    deployment(server, key=KEY)
    pod(server)
    result = nim("report", NAME, "-f", "-", *kc)
    assert result.exit_code == 0, result.stderr
    with tarfile.open(fileobj=io.BytesIO(result.stdout_bytes), mode="r:gz") as tar:
        assert any(m.name.endswith("/status.json") for m in tar.getmembers())
    assert result.stderr.startswith("Wrote the bundle to stdout (")
    assert not (tmp_path / "-").exists()
    for value in ("-", "json", str(tmp_path / "x.tar.gz")):
        refused = nim("report", NAME, "-o", value, *kc)
        assert refused.exit_code == 2 and "-f/--file" in refused.stderr
        assert refused.stderr.count("\n") == 1
    assert not (tmp_path / "json").exists() and not (tmp_path / "x.tar.gz").exists()


def test_report_never_overwrites_nor_follows_a_symlink(nim, cluster, tmp_path):
    server, kc = cluster
    deployment(server, key=KEY)
    existing = tmp_path / "existing.tar.gz"
    existing.write_text("mine")
    result = nim("report", NAME, "-f", str(existing), *kc)
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert existing.read_text() == "mine"
    victim = tmp_path / "victim"
    victim.write_text("precious")
    link = tmp_path / "link.tar.gz"
    link.symlink_to(victim)
    result = nim("report", NAME, "-f", str(link), *kc)
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert victim.read_text() == "precious" and link.is_symlink()
    dangling = tmp_path / "dangling.tar.gz"
    dangling.symlink_to(tmp_path / "nowhere")
    assert nim("report", NAME, "-f", str(dangling), *kc).exit_code == 1
    assert not (tmp_path / "nowhere").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_server_names_never_become_unsafe_paths(nim, cluster, tmp_path):
    server, kc = cluster
    deployment(server, key=KEY)
    evil = pod(server, ready=False)
    evil["spec"]["containers"][0]["name"] = "../../../etc/passwd"
    evil["status"]["containerStatuses"][0]["name"] = "../../../etc/passwd"
    server.put_object(evil)
    out = tmp_path / "b.tar.gz"
    result = nim("report", NAME, "-f", str(out), *kc)
    assert result.exit_code == 0, result.stderr
    for name in members(out):
        parts = name.split("/")
        assert ".." not in parts and all(parts) and not name.startswith("/"), name


@pytest.mark.parametrize("name", ["..", ".", "", "a/b", "../x", "\x00", "ok-name.1", 7, None])
def test_member_name_is_one_safe_component(name):
    safe = redaction.member_name(name)
    assert safe and "/" not in safe and safe not in (".", "..") and not safe.startswith(".")
    assert all(c.isalnum() or c in "._-" for c in safe)
    if name == "ok-name.1":
        assert safe == name


def _wrap(text: str, width: int, newline: str = "\n", indent: str = "") -> str:
    return newline.join(indent + text[i:i + width] for i in range(0, len(text), width))


@pytest.mark.parametrize("width", [64, 76, 20, 7])
@pytest.mark.parametrize("newline, indent", [("\n", ""), ("\r\n", ""), ("\n", "    ")])
def test_scrub_removes_line_wrapped_encodings(width, newline, indent):
    """base64 -w 76, PEM's 64 columns, fold -w 20: a key wrapped over lines is a key still."""
    auth = base64.b64encode(f"$oauthtoken:{KEY}".encode()).decode()
    blob = base64.b64encode(json.dumps({"auths": {"nvcr.io": {"auth": auth}}}).encode()).decode()
    for form in (KEY, base64.b64encode(KEY.encode()).decode(), auth, blob):
        text = f"before\n{_wrap(form, width, newline, indent)}\nafter"
        cleaned = redaction.scrub(text, {KEY})
        flat = "".join(cleaned.split())
        for leaked in key_forms(KEY)[:3]:
            assert leaked not in flat, (form[:12], width)
        assert "before" in cleaned and "after" in cleaned


def test_a_folded_unknown_key_is_scrubbed_and_the_next_line_kept():
    text = f"token:\n{_wrap(KEY, 20)}\nINFO started\nkey={KEY[:30]}\nINFO next"
    cleaned = redaction.scrub(text, set())
    assert KEY[6:20] not in cleaned and KEY[20:40] not in cleaned.replace("\n", "")
    assert "INFO started" in cleaned and "INFO next" in cleaned

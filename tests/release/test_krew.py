"""krew/nim.yaml against Krew's validation rules (scripts/krew_validate.py), and the rules
themselves: every rule is shown to reject what Krew rejects."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import krew_validate as kv  # noqa: E402

MANIFEST = ROOT / "krew" / "nim.yaml"


@pytest.fixture
def manifest():
    return yaml.safe_load(MANIFEST.read_text())


def errors_of(m, name="nim.yaml", **kw):
    return kv.validate(m, name, **kw)


def test_committed_manifest_is_valid():
    assert kv.validate_file(MANIFEST) == []
    out = subprocess.run([sys.executable, str(ROOT / "scripts" / "krew_validate.py"),
                          str(MANIFEST)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_committed_manifest_facts(manifest):
    spec = manifest["spec"]
    assert manifest["metadata"]["name"] == "nim"
    assert spec["version"].startswith("v")
    assert len(spec["shortDescription"]) <= 50
    pairs = [kv.selected_platforms(p["selector"]) for p in spec["platforms"]]
    assert all(len(p) == 1 for p in pairs), "one os/arch per platform entry"
    assert {p[0] for p in pairs} == kv.RELEASE_PLATFORMS
    for p in spec["platforms"]:
        assert set(p["selector"]) == {"matchLabels"}
        assert set(p["selector"]["matchLabels"]) == {"os", "arch"}
        windows = p["selector"]["matchLabels"]["os"] == "windows"
        assert p["bin"] == ("kubectl-nim.exe" if windows else "kubectl-nim")
        assert p["uri"].endswith(f"/{spec['version']}/kubectl-nim_{spec['version']}_"
                                 f"{p['selector']['matchLabels']['os']}_"
                                 f"{p['selector']['matchLabels']['arch']}."
                                 + ("zip" if windows else "tar.gz"))


def test_placeholder_checksums_are_refused_for_a_release():
    errors = kv.validate_file(MANIFEST, release=True)
    assert errors and all("placeholder" in e for e in errors)


@pytest.mark.parametrize("mutate, message", [
    (lambda m: m.update(apiVersion="krew.googlecontainertools.github.com/v1alpha1"), "apiVersion"),
    (lambda m: m.update(kind="Plugins"), "kind="),
    (lambda m: m["metadata"].update(name="nim2"), "should be named 'nim'"),
    (lambda m: m["metadata"].update(name="n/m"), "is not allowed"),
    (lambda m: m["spec"].update(version="0.1.0"), "does not start with 'v'"),
    (lambda m: m["spec"].update(version="v1.2"), "not a semantic version"),
    (lambda m: m["spec"].update(version="v01.2.3"), "not a semantic version"),
    (lambda m: m["spec"].update(version=""), "should have a version"),
    (lambda m: m["spec"].update(shortDescription=""), "should have a short description"),
    (lambda m: m["spec"].update(shortDescription="two\nlines"), "line breaks"),
    (lambda m: m["spec"].update(shortDescription="x" * 51), "at most 50"),
    (lambda m: m["spec"].update(description=""), "should have a description"),
    (lambda m: m["spec"].update(description="Deploys NIM.\n- models: list models\n"),
     "lists commands"),
    (lambda m: m["spec"].update(description="Run `kubectl nim deploy --model x`.\n"),
     "lists commands"),
    (lambda m: m["spec"].update(description="word " * 20 + "\n"), "longer than 80"),
    (lambda m: m["spec"].update(homepage="http://example.com"), "https"),
    (lambda m: m["spec"].update(platforms=[]), "should have a platform"),
    (lambda m: m["spec"]["platforms"][0].update(uri=""), "`uri` has to be set"),
    (lambda m: m["spec"]["platforms"][0].update(sha256=""), "`sha256` sum has to be set"),
    (lambda m: m["spec"]["platforms"][0].update(sha256="A" * 64), "is not valid"),
    (lambda m: m["spec"]["platforms"][0].update(sha256="a" * 63), "is not valid"),
    (lambda m: m["spec"]["platforms"][0].update(bin=""), "`bin` has to be set"),
    (lambda m: m["spec"]["platforms"][0].update(files=[]), "unspecified or non-empty"),
    (lambda m: m["spec"]["platforms"][0].update(files=[{"from": "*"}]), "`to` field"),
    (lambda m: m["spec"]["platforms"][0].update(files=[{"to": "."}]), "`from` field"),
    (lambda m: m["spec"]["platforms"][0].pop("selector"), "nil selector"),
    (lambda m: m["spec"]["platforms"][0].update(selector={}), "empty selector"),
    (lambda m: m["spec"]["platforms"][0]["selector"]["matchLabels"].update(libc="glibc"),
     "key 'libc' not supported"),
    (lambda m: m["spec"]["platforms"][0].update(selector={"matchLabels": {}, "matchExpressions": [
        {"key": "os", "operator": "In", "values": ["linux"]}]}),
     "`matchLabels` specified but empty"),
    (lambda m: m["spec"]["platforms"][0]["selector"]["matchLabels"].update(os="plan9"),
     "doesn't match any supported platform"),
    (lambda m: m["spec"]["platforms"][4].update(bin="kubectl-nim"), "must end in .exe"),
])
def test_each_rule_rejects(manifest, mutate, message):
    mutate(manifest)
    errors = errors_of(manifest)
    assert any(message in e for e in errors), errors


def test_the_file_name_must_be_the_plugin_name(manifest):
    assert any("should be named 'other'" in e for e in errors_of(manifest, "other.yaml"))
    assert any(".yaml extension" in e for e in errors_of(manifest, "nim.yml"))


def test_windows_reserved_names():
    assert not kv.SAFE_NAME.match("a b")
    m = {"apiVersion": kv.API_VERSION, "kind": "Plugin", "metadata": {"name": "CON"}}
    assert any("is not allowed" in e for e in kv.validate(m, "CON.yaml"))


def test_overlapping_selectors_are_refused(manifest):
    dup = copy.deepcopy(manifest["spec"]["platforms"][0])
    manifest["spec"]["platforms"].append(dup)  # linux/amd64 twice
    assert any("overlapping selectors" in e and "os=linux/arch=amd64" in e
               for e in errors_of(manifest))

    wide = {"matchLabels": {"os": "linux"}}  # overlaps with both linux entries
    manifest["spec"]["platforms"][-1]["selector"] = wide
    assert any("overlapping" in e for e in errors_of(manifest))


def test_match_expressions_semantics():
    linux_not_arm = {"matchExpressions": [{"key": "os", "operator": "In", "values": ["linux"]},
                                          {"key": "arch", "operator": "NotIn",
                                           "values": ["arm", "arm64"]}]}
    assert ("linux", "amd64") in kv.selected_platforms(linux_not_arm)
    assert ("linux", "arm64") not in kv.selected_platforms(linux_not_arm)
    assert kv.selected_platforms({"matchLabels": {"os": "darwin", "arch": "arm64"}}) == \
        [("darwin", "arm64")]
    assert kv.selected_platforms({"matchExpressions": [
        {"key": "arch", "operator": "DoesNotExist"}]}) == []


def test_release_coverage(manifest):
    assert kv.release_coverage_errors(manifest) == []
    manifest["spec"]["platforms"].pop(1)
    assert kv.release_coverage_errors(manifest) == ["no platform for linux/arm64"]


def test_install_applies_krew_file_operations():
    members = ["LICENSE", "_internal", "_internal/lib.so", "kubectl-nim", "docs", "docs/x.md"]
    assert kv.install(members, None) == set(members)
    assert kv.install(members, [{"from": "kubectl-nim", "to": "."},
                                {"from": "LICENSE", "to": "."}]) == {"kubectl-nim", "LICENSE"}
    assert kv.install(members, [{"from": "_internal", "to": "lib"}]) == \
        {"lib/_internal", "lib/_internal/lib.so"}
    assert kv.install(members, [{"from": "*.md", "to": "."}]) == set()  # * does not cross /

"""The embedded catalog is the full catalog, exactly what the plugin's own `catalog generate`
produces from the reference data (docs/design.md#cluster-configuration): regenerating must
reproduce the file byte for
byte. Needs ../shared/data (skips cleanly without it)."""

from __future__ import annotations

import pytest

from kubectl_nim.app import local_catalog
from kubectl_nim.domain import catalog
from tests.helpers.paths import REPO
from tests.helpers.scripts import load_script

pytestmark = pytest.mark.pure

ROOT = REPO
EMBEDDED = ROOT / "kubectl_nim" / "data" / "catalog.yaml"


def test_regenerating_from_the_reference_reproduces_the_embedded_file(shared_data, tmp_path):
    out = tmp_path / "catalog.yaml"
    assert load_script().main(["--from-reference", str(shared_data), "--embedded",
                               str(out)]) == 0
    assert out.read_text(encoding="utf-8") == EMBEDDED.read_text(encoding="utf-8")


def test_embedded_holds_the_whole_reference_catalog(shared_data):
    reference = local_catalog.load_file(str(shared_data / "nvidia-nim-models-data.yaml"))
    embedded = local_catalog.load_embedded()
    assert embedded.models == reference.models
    assert len(embedded.models) == 186
    assert sorted(m.name for m in embedded.models if m.eu_restricted) == [
        "llama-3.2-11b-vision-instruct", "llama-3.2-90b-vision-instruct",
        "llama-4-maverick-17b-128e-instruct", "llama-4-scout-17b-16e-instruct"]


def test_embedded_is_small_enough_and_says_how_it_was_made():
    text = EMBEDDED.read_text(encoding="utf-8")
    assert len(text.encode()) < catalog.CONFIGMAP_LIMIT_BYTES
    header = text.split("apiVersion:")[0]
    assert "kubectl nim catalog generate --eu-restricted FILE" in header
    assert "make embedded-catalog" in header and "fake NGC server" in header
    assert "(186 models, 4 EU-restricted)" in header


def test_compose_refuses_an_empty_or_broken_catalog():
    script = load_script()
    with pytest.raises(Exception, match="holds no model"):
        script.compose(catalog.to_configmap_yaml([]), "x")

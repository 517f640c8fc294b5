"""Concrete default tags (docs/design.md#catalog): `latestTag` when it is a concrete version, else
the newest
concrete tag; a floating tag (`latest`, `1`, `1.15`) deployed on request with a warning.

Definitions (kubectl_nim/domain/catalog.py): concrete = MAJOR.MINOR.PATCH (more numeric parts allowed)
with an optional `-`/`+` suffix; newest = numeric order, a plain release before any suffixed tag.
"""

from __future__ import annotations

from hypothesis import given, strategies as st

from kubectl_nim.app import local_catalog
from kubectl_nim.domain import catalog
from kubectl_nim.domain.catalog import Model

from tests.helpers.catalog import model_entry

numbers = st.integers(min_value=0, max_value=300)
versions = st.lists(numbers, min_size=3, max_size=4).map(lambda ns: ".".join(map(str, ns)))
suffixes = st.sampled_from(["-RTX", "-rtx", "-variant", "-pb5.3", "+build7", "-41313772"])
concrete_tags = st.one_of(versions, st.tuples(versions, suffixes).map("".join))
floating_tags = st.one_of(
    st.just("latest"), st.just("rtx-latest"), st.just("1.5-variant"),
    st.lists(numbers, min_size=1, max_size=2).map(lambda ns: ".".join(map(str, ns))),
    st.from_regex(r"[a-z][a-z-]{0,10}", fullmatch=True))


def model(tags, latest):
    return Model("m", "nim/x", tuple(tags), latest)


@given(concrete_tags)
def test_full_versions_are_concrete(tag):
    assert catalog.is_concrete(tag)


@given(floating_tags)
def test_latest_majors_minors_and_names_float(tag):
    assert not catalog.is_concrete(tag)


@given(st.lists(st.one_of(concrete_tags, floating_tags), min_size=1, max_size=12, unique=True),
       st.data())
def test_default_tag_properties(tags, data):
    latest = data.draw(st.sampled_from(tags))
    m = model(tags, latest)
    chosen = catalog.default_tag(m)
    assert chosen in tags
    if catalog.is_concrete(latest):
        assert chosen == latest                     # NVIDIA's pick when it is concrete
    elif any(catalog.is_concrete(t) for t in tags):
        assert catalog.is_concrete(chosen)          # never a floating tag when a pin exists
        assert all(catalog.version_key(t) <= catalog.version_key(chosen)
                   for t in tags if catalog.is_concrete(t))
        assert catalog.floating_tag_warning(m, chosen) is None
    else:
        assert chosen == latest and catalog.floating_tag_warning(m, chosen)


@given(st.lists(concrete_tags, min_size=1, max_size=10, unique=True), st.randoms())
def test_newest_does_not_depend_on_nvidias_order(tags, rng):
    shuffled = list(tags)
    rng.shuffle(shuffled)
    assert catalog.newest_concrete(shuffled) == catalog.newest_concrete(tags)


def test_version_order_is_numeric_and_prefers_plain_releases():
    assert catalog.newest_concrete(["1.9.9", "1.10.0", "1.2.10"]) == "1.10.0"
    assert catalog.newest_concrete(["1.8.0-RTX", "1.5.2"]) == "1.5.2"
    assert catalog.newest_concrete(["1.8.0-RTX", "1.4.0-rtx"]) == "1.8.0-RTX"
    assert catalog.newest_concrete(["latest", "1", "1.15"]) is None


def test_real_models_of_the_embedded_catalog():
    embedded = local_catalog.load_embedded()
    llama = embedded.get("llama-3.1-8b-instruct")
    assert llama.latest_tag == "latest" and llama.default_tag == "1.15.5"
    assert llama.image() == "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.15.5"
    floating = [m for m in embedded.models if not catalog.is_concrete(m.default_tag)]
    # every model but those NVIDIA lists without any concrete version gets a pinned default
    assert all(not any(catalog.is_concrete(t) for t in m.tags) for m in floating)


def test_deploy_pins_the_default_and_warns_on_a_floating_tag(nim, catalog_file):
    path = catalog_file([model_entry("chat", tags=("1.15.5", "1.15", "1", "latest"),
                                     latest="latest")])
    args = ["deploy", "x", "--model", "chat", "--catalog", path, "--skip-secrets",
            "--dry-run=client", "-o", "yaml"]
    pinned = nim(*args)
    assert pinned.exit_code == 0, pinned.stderr
    assert "image: nvcr.io/nim/meta/chat:1.15.5" in pinned.stdout
    assert "warning" not in pinned.stderr
    floating = nim(*args, "--tag", "latest")
    assert floating.exit_code == 0, floating.stderr
    assert "image: nvcr.io/nim/meta/chat:latest" in floating.stdout
    assert ("warning: tag 'latest' of chat floats: NVIDIA moves it to newer builds, so a restart "
            "(rotate-key restarts the model) may silently run a different model; pin a version "
            "with --tag 1.15.5\n") in floating.stderr

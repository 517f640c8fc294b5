"""Session.catalog builds the catalog with the cyclic GC paused (BENCHMARKS.md) and
always turns it back on: a long `--wait` or `list --watch` after it must still collect."""

from __future__ import annotations

import gc

import pytest

from kubectl_nim.app.connection import GlobalOptions
from kubectl_nim.app.session import Session
from kubectl_nim.environment import Environment
from kubectl_nim.errors import NimError


def session() -> Session:
    return Session(GlobalOptions(), Environment.default())


def test_the_collector_runs_again_after_the_catalog_is_built():
    assert gc.isenabled()
    catalog = session().catalog(offline=True, announce=False)
    assert len(catalog.models) > 100
    assert gc.isenabled()


def test_the_collector_runs_again_when_the_catalog_cannot_be_read(tmp_path):
    broken = tmp_path / "catalog.yaml"
    broken.write_text("kind: ConfigMap\ndata: [not, a, mapping\n")
    with pytest.raises(NimError):
        session().catalog(str(broken), announce=False)
    assert gc.isenabled()


def test_a_collector_turned_off_by_someone_else_stays_off():
    gc.disable()
    try:
        session().catalog(offline=True, announce=False)
        assert not gc.isenabled()
    finally:
        gc.enable()

"""Where things are, whatever folder a test module sits in (tests move between folders; a
`Path(__file__).parents[N]` breaks when they do)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "kubectl_nim"
TESTS = REPO / "tests"
FIXTURES = TESTS / "fixtures"
TEMPLATES = FIXTURES / "templates"
SCHEMAS = REPO / "docs" / "schemas"
# The reference data beside the repository (../shared/data); tests that need it skip without it.
SHARED_DATA = REPO.parent / "shared" / "data"

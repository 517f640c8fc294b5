"""The render cases, defined once next to their expected manifests (tests/fixtures/render/
regenerate.py), for tests/verbs/deploy/test_deploy_render.py and tests/verbs/deploy/test_deploy_schema_conformance.py."""

import importlib.util
import sys
from pathlib import Path


def load():
    path = Path(__file__).parents[1] / "fixtures" / "render" / "regenerate.py"
    spec = importlib.util.spec_from_file_location("render_cases_module", path)
    module = sys.modules.setdefault(spec.name, importlib.util.module_from_spec(spec))
    if not hasattr(module, "CASES"):
        spec.loader.exec_module(module)
    return module

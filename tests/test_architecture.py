"""The layering rules, checked on the source (ast), lazy imports included:

- `kubectl_nim/domain/` is pure: no I/O (an adapter, click, httpx, kubernetes, sockets, no open()
  or pathlib/importlib.resources reads) and no layer above it (app, cli);
- `kubectl_nim/app/` (use cases) does not parse flags or print: no click, nothing from the cli;
- `kubectl_nim/adapters/` (transports) knows nothing of use cases or the CLI;
- `kubectl_nim/cli/` does not call the cluster or NVIDIA directly: nothing from the adapters (a
  verb that needs the cluster asks a use case in app/);
- use cases ask the one DryRun type, take their console and clock from the run;
- no module reaches into another's private names, no import cycles, no re-export shims (modules
  are split by reason to change, not by a line count).

See docs/architecture.md.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from kubectl_nim.cli.commands import VERBS

PACKAGE = Path(__file__).resolve().parents[1] / "kubectl_nim"

# What pure code may not reach: transports, the CLI, and the layers that orchestrate I/O.
DOMAIN_FORBIDDEN = ("click", "httpx", "kubernetes", "urllib3", "socket", "ssl", "requests",
                    "subprocess", "kubectl_nim.adapters", "kubectl_nim.app", "kubectl_nim.cli")
APP_FORBIDDEN = ("click", "kubectl_nim.cli")
ADAPTERS_FORBIDDEN = ("click", "kubectl_nim.app", "kubectl_nim.cli")
CLI_FORBIDDEN = ("kubectl_nim.adapters",)

RULES = {"domain": DOMAIN_FORBIDDEN, "app": APP_FORBIDDEN, "adapters": ADAPTERS_FORBIDDEN,
         "cli": CLI_FORBIDDEN}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            # `from kubectl_nim import cluster` imports the module kubectl_nim.cluster
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def violations(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(name for name in imported_modules(path)
                  if any(name == f or name.startswith(f + ".") for f in forbidden))


def modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def layered_modules():
    return [pytest.param(layer, path, id=str(path.relative_to(PACKAGE)))
            for layer in RULES for path in modules(layer)]


@pytest.mark.parametrize("layer, path", layered_modules())
def test_module_respects_its_layer(layer, path):
    assert violations(path, RULES[layer]) == []


def test_the_rule_catches_a_violation(tmp_path):
    """The checker itself: a domain module importing the cluster adapter is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("from kubectl_nim.adapters.kube import cluster\nimport click\n"
                   "from . import names\n")
    assert violations(bad, DOMAIN_FORBIDDEN) == ["click", "kubectl_nim.adapters.kube",
                                                 "kubectl_nim.adapters.kube.cluster"]


def test_a_lazy_cluster_call_in_the_cli_is_caught(tmp_path):
    bad = tmp_path / "verb.py"
    bad.write_text("def command():\n    from kubectl_nim.adapters import ngc\n")
    assert violations(bad, CLI_FORBIDDEN) == ["kubectl_nim.adapters", "kubectl_nim.adapters.ngc"]


def test_the_layers_exist():
    assert all(modules(layer) for layer in RULES)


def test_only_the_shared_modules_stay_at_the_top():
    """Every other module belongs to a layer."""
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "caller.py", "environment.py", "errors.py",
                   "interrupts.py", "log.py"]


def secret_registrations(path: Path) -> list[int]:
    """Lines that call `log.register_secret` (global state: the redacting log)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr == "register_secret"]


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_domain_registers_no_secret(path):
    """Pure code does not touch the global log: whoever reads a secret registers it (app, cli)."""
    assert secret_registrations(path) == []


def test_the_registration_check_catches_one(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from kubectl_nim import log\n\ndef f(k):\n    log.register_secret(k)\n")
    assert secret_registrations(bad) == [4]


# --- domain reads no file -------------------------------------------------------------------------

# Calls that read from disk: the builtin open(), pathlib's readers, os-level opens, and resources
# of a package. An adapter reads (adapters/catalog_source); domain parses what it is given.
FILE_READS = {"open", "read_text", "read_bytes", "fdopen"}
RESOURCE_MODULES = ("importlib.resources", "pkgutil", "pathlib")


def file_reads(path: Path) -> list[str]:
    """`line: what` for every file read in a module, lazy imports included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else None)
            if name in FILE_READS:
                found.append(f"{node.lineno}: {name}()")
    found += [f"import {name}" for name in sorted(imported_modules(path))
              if any(name == m or name.startswith(m + ".") for m in RESOURCE_MODULES)]
    return found


@pytest.mark.parametrize("path", modules("domain"), ids=lambda p: p.name)
def test_domain_reads_no_file(path):
    assert file_reads(path) == []


def test_the_file_read_check_catches_each_kind(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import os\nfrom importlib import resources\nimport importlib.resources\n"
                   "from pathlib import Path\n\n"
                   "def f(p):\n    with open(p) as f:\n        return f.read()\n\n"
                   "def g(p):\n    return Path(p).read_text() + os.fdopen(3).read()\n")
    assert file_reads(bad) == ["7: open()", "11: read_text()", "11: fdopen()",
                               "import importlib.resources", "import pathlib",
                               "import pathlib.Path"]


def every_module():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield pytest.param(path, id=str(path.relative_to(PACKAGE)))


# The app's write primitives: a verb that writes asks its use case, which owns the order of the
# writes, their rollback and what a failure leaves behind.
APP_WRITE_PRIMITIVES = ("kubectl_nim.app.secret_writes", "kubectl_nim.app.secret_pair",
                        "kubectl_nim.app.optimistic.read_modify_write",
                        "kubectl_nim.app.optimistic.delete_object",
                        "kubectl_nim.app.optimistic.read_secrets")


def cluster_calls(path: Path) -> list[str]:
    """Calls made on a cluster handle: `cluster.get(...)`, `session.cluster.list(...)`, and
    uses of the app's write primitives (`optimistic.delete_object`...)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        receiver = node.func.value
        on_cluster = (isinstance(receiver, ast.Name) and receiver.id == "cluster") or \
            (isinstance(receiver, ast.Attribute) and receiver.attr == "cluster")
        on_primitive = isinstance(receiver, ast.Name) and \
            f"kubectl_nim.app.{receiver.id}.{node.func.attr}" in APP_WRITE_PRIMITIVES
        if on_cluster or on_primitive:
            found.append(f"{node.lineno}: {ast.unparse(node.func)}")
    return found + violations(path, APP_WRITE_PRIMITIVES)


@pytest.mark.parametrize("path", modules("cli"), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_cli_does_not_call_the_cluster(path):
    """The CLI hands a cluster to a use case; it never reads or writes through one itself."""
    assert cluster_calls(path) == []


def test_the_cluster_call_check_catches_them(tmp_path):
    bad = tmp_path / "verb.py"
    bad.write_text("def command(session):\n"
                   "    cluster = session.cluster\n"
                   "    cluster.get_or_none('ConfigMap', 'x', 'ns')\n"
                   "    session.cluster.list('Secret', 'ns')\n"
                   "    from kubectl_nim.app import optimistic\n"
                   "    optimistic.delete_object(cluster, 'Secret', 'x', 'ns')\n"
                   "    from kubectl_nim.app.secret_writes import write_secrets\n")
    assert cluster_calls(bad) == ["3: cluster.get_or_none", "4: session.cluster.list",
                                  "6: optimistic.delete_object",
                                  "kubectl_nim.app.secret_writes",
                                  "kubectl_nim.app.secret_writes.write_secrets"]


# --- the tests are filed by feature (docs/development.md#where-a-test-goes) -------------------------

TESTS = Path(__file__).resolve().parent
TEST_AREAS = {
    "verbs": "one folder per verb: its use case, CLI binding, exact output, the rules only it uses",
    "properties": "what every verb must do alike: bad input, the key's hygiene, signals, ...",
    "platform": "what every verb stands on: the adapters, discovery, generations, naming, the CLI",
    "realcluster": "the same verbs against a real kube-apiserver and etcd, or a whole control plane",
    "release": "the binary, the Krew archive and the release scripts",
    "fake_servers": "the fakes themselves speak the real wire formats",
}
# The folders under tests/verbs/: one per verb (`test` is smoke_test, as its module).
VERB_FOLDERS = {name.replace("-", "_") for name in VERBS if name != "test"} | {"smoke_test"}
# Fixtures that start a server or a process: a pure test module that asks for one is not pure.
SERVER_FIXTURES = {"kube_server", "kube_server_without_nimconfig", "ngc_server", "nim_backend",
                   "kubeconfig", "nim", "cluster", "project", "run_deploy", "canned_server",
                   "socks_proxy", "real", "real_faulty"}


def misplaced(path: Path) -> bool:
    """Not where docs/development.md says a test module goes."""
    parts = path.relative_to(TESTS).parts
    if parts == ("test_architecture.py",):
        return False
    if parts[0] not in TEST_AREAS:
        return True
    if parts[0] == "verbs":
        return not (len(parts) == 3 and parts[1] in VERB_FOLDERS
                    and parts[2].startswith(f"test_{parts[1]}"))
    if parts[0] == "realcluster":
        return len(parts) != 2 or not parts[1].endswith("_real.py")
    return len(parts) != 2


def test_every_test_module_sits_in_its_place():
    assert [str(p.relative_to(TESTS)) for p in sorted(TESTS.rglob("test_*.py"))
            if misplaced(p)] == []


def test_test_module_names_are_unique():
    """pytest imports a module of a folder without __init__.py by its bare name."""
    names = [p.name for p in TESTS.rglob("test_*.py") if "realcluster" not in p.parts]
    assert sorted({n for n in names if names.count(n) > 1}) == []


def test_the_placement_check_catches_a_stray():
    assert [misplaced(TESTS / p) for p in ("verbs/deploy/test_deploy_wait.py",
                                            "verbs/deploy/test_wait.py", "verbs/nope/test_nope.py",
                                            "layers/test_x.py", "test_x.py",
                                            "realcluster/test_x.py", "properties/test_x.py")] == [
        False, True, True, True, True, True, False]


def imports_of_tests(path: Path) -> list[str]:
    """What a test file imports from another test module or from a conftest (lazy imports too):
    what tests share lives in tests/helpers (or a conftest's fixtures), imported one way."""
    tree = ast.parse(path.read_text(), filename=str(path))
    other_style = [f"{node.lineno}: not `from tests.helpers.X import ...`"
                   for node in ast.walk(tree)
                   if isinstance(node, ast.ImportFrom) and node.module == "tests.helpers"
                   or isinstance(node, ast.Import)
                   and any(a.name.startswith("tests.helpers") for a in node.names)]
    return other_style + [
        name for name in sorted(imported_modules(path))
        if any(part == "conftest" or part.startswith("test_") for part in name.split("."))]


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(TESTS)))
def test_no_test_imports_a_test_module_or_a_conftest(path):
    assert imports_of_tests(path) == []


def test_the_test_import_check_catches_each_form(tmp_path):
    bad = tmp_path / "test_x.py"
    bad.write_text("from tests.app.test_wait import isvc\nfrom conftest import X\n"
                   "def f():\n    import tests.realcluster.conftest\n"
                   "from tests.helpers.wait import isvc\nfrom tests.fakes.fixtures import y\n"
                   "from tests.helpers import wait\nimport tests.helpers.wait\n")
    assert imports_of_tests(bad) == ["7: not `from tests.helpers.X import ...`",
                                     "8: not `from tests.helpers.X import ...`", "conftest", "conftest.X", "tests.app.test_wait",
                                 "tests.app.test_wait.isvc", "tests.realcluster.conftest"]


def missing_test_paths(text: str) -> list[str]:
    """The `tests/...` paths (a glob, a file, a folder, or `module.name`) that `text` cites and
    the repository does not have: tests move between folders, their citations must follow."""
    missing = []
    for token in re.findall(r"tests/[\w/.*<>-]*[\w*>]", text):
        if "<" in token:  # a placeholder: tests/verbs/<verb>/
            continue
        if "*" in token:
            found = any(PACKAGE.parent.glob(token))
        else:
            path = PACKAGE.parent / token
            module = PACKAGE.parent / (token.rsplit(".", 1)[0] + ".py")
            found = path.exists() or module.exists()
        if not found:
            missing.append(token)
    return missing


CITING = ["README.md", "BENCHMARKS.md", "Makefile", ".ci/run", "build.spec", "docs/*.md",
          "scripts/*", "benchmarks/*.py", ".github/workflows/*.yml", "kubectl_nim/**/*.py",
          "kubectl_nim/data/*.yaml", "tests/**/*.py"]


def test_every_test_path_cited_exists():
    cited = {f"{f.relative_to(PACKAGE.parent)}: {token}"
             for pattern in CITING for f in sorted(PACKAGE.parent.glob(pattern)) if f.is_file()
             if f.name != "test_architecture.py"
             for token in missing_test_paths(f.read_text(errors="replace"))}
    assert sorted(cited) == []


def test_the_test_path_check_catches_a_moved_file():
    assert missing_test_paths("see tests/app/test_wait.py, tests/helpers/obs.round_trips, "
                              "tests/realcluster/test_*_control_plane_real.py and "
                              "`tests/verbs/deploy/`, tests/verbs/<verb>/.") == [
        "tests/app/test_wait.py"]


def is_pure(path: Path) -> bool:
    """The module says its tests run pure code: `pytestmark = pytest.mark.pure`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    return any(isinstance(node, ast.Assign)
               and any(isinstance(t, ast.Name) and t.id == "pytestmark" for t in node.targets)
               and "pytest.mark.pure" in ast.unparse(node.value) for node in tree.body)


def server_use(path: Path) -> list[str]:
    """The fixtures a module's tests ask for that start a server, and imports of the fakes."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found += [f"{node.name}({a.arg})" for a in node.args.args if a.arg in SERVER_FIXTURES]
    return found + violations(path, ("tests.fakes", "socket", "http.server"))


PURE_TESTS = sorted(p for p in TESTS.rglob("test_*.py") if is_pure(p))


@pytest.mark.parametrize("path", PURE_TESTS, ids=lambda p: p.name)
def test_pure_tests_start_no_server(path):
    assert server_use(path) == []


def test_the_pure_mark_is_read(tmp_path):
    marked, unmarked = tmp_path / "test_a.py", tmp_path / "test_b.py"
    marked.write_text("import pytest\n\npytestmark = pytest.mark.pure\n")
    unmarked.write_text("import pytest\n\npytestmark = pytest.mark.subprocess\n")
    assert (is_pure(marked), is_pure(unmarked)) == (True, False)


def test_the_server_check_catches_one(tmp_path):
    bad = tmp_path / "test_x.py"
    bad.write_text("from tests.fakes.kube_apiserver import FakeKubeAPIServer\n\n"
                   "def test_x(kube_server, tmp_path):\n    pass\n")
    assert server_use(bad) == ["test_x(kube_server)", "tests.fakes.kube_apiserver",
                               "tests.fakes.kube_apiserver.FakeKubeAPIServer"]


# --- use cases ask what an answer means, not which HTTP code it had -------------------------------

HTTP_CODE_COMPARISON = re.compile(r"status\s*(==|!=|>=|<=|<|>|in|not in)\s*\(?\d{3}")


def http_code_comparisons(path: Path) -> list[int]:
    return [n for n, line in enumerate(path.read_text().splitlines(), 1)
            if HTTP_CODE_COMPARISON.search(line)]


# The smoke test reads the model server's own HTTP answers through the service proxy.
@pytest.mark.parametrize("path", [p for p in modules("app") if p.name != "smoke_test.py"],
                         ids=lambda p: p.name)
def test_use_cases_compare_no_http_codes(path):
    """app/ asks ClusterError (`forbidden`, `not_found`, `conflict`...) instead."""
    assert http_code_comparisons(path) == []


def test_the_http_code_check_catches_one(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("if e.status != 403:\n    pass\nif e.status in (403, 404):\n    pass\n"
                   "if e.forbidden:\n    pass\n")
    assert http_code_comparisons(bad) == [1, 3]


# --- one dry-run type (docs/architecture.md) ------------------------------------------------------

DRY_RUN_MODES = {"none", "client", "server"}


def _mode_literals(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value in DRY_RUN_MODES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_mode_literals(e) for e in node.elts)
    return False


def dry_run_string_uses(path: Path) -> list[str]:
    """Comparisons with "none"/"client"/"server", and `dry_run` parameters not typed DryRun: a
    use case asks the one type (`domain/dry_run.DryRun`) what a mode means."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and any(
                _mode_literals(n) for n in [node.left, *node.comparators]):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.arg) and node.arg == "dry_run" and (
                node.annotation is None or "DryRun" not in ast.unparse(node.annotation)):
            found.append(f"{node.lineno}: dry_run: "
                         f"{ast.unparse(node.annotation) if node.annotation else '(untyped)'}")
    return found


@pytest.mark.parametrize("path", modules("app"), ids=lambda p: p.name)
def test_use_cases_ask_the_dry_run_type(path):
    assert dry_run_string_uses(path) == []


def test_the_dry_run_check_catches_strings_and_bools(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text('def f(dry_run: str, g: bool):\n    if dry_run == "client":\n        pass\n'
                   '    return dry_run in ("none", "server")\n\n'
                   'def h(*, dry_run: bool = False, mode: "DryRun"):\n'
                   '    return mode.persists and x != "other"\n')
    assert dry_run_string_uses(bad) == ["1: dry_run: str", "2: dry_run == 'client'",
                                        "4: dry_run in ('none', 'server')", "6: dry_run: bool"]


# --- use cases get their console and clock from the run (docs/architecture.md#use-cases) -------

# What app/ may use of the redacting log: the -v channel and the secret registry. Notices and
# warnings go through the run's console (`Environment.notice` / `warn`), never log.notice/warn.
LOG_MODULE = "kubectl_nim.log"
LOG_ALLOWED = {"debug", "verbosity", "register_secret", "redact", "REDACTED", "KEY_SHAPE"}
# The process's own clocks, sleep and streams: a use case reads the run's instead
# (`Environment.clock`, `now`, `sleep`, its console; results through `emit`).
PROCESS_CLOCKS_AND_STREAMS = {
    "time.sleep", "time.monotonic", "time.monotonic_ns", "time.time", "time.time_ns",
    "time.perf_counter", "time.perf_counter_ns", "datetime.datetime.now",
    "datetime.datetime.utcnow", "datetime.datetime.today", "datetime.date.today",
    "sys.stdout", "sys.stderr", "sys.__stdout__", "sys.__stderr__", "builtins.print"}
# Parameters that are the run's: required, never defaulted (`= None` included: a use case that
# forgets to pass the run's would sleep for real, or write to the process's stderr, in a test).
RUN_PARAMETERS = {"sleep", "clock", "now", "wait", "env", "notice", "warn"}


def bound_names(tree: ast.AST, package: str) -> dict[str, str]:
    """Each name an import binds, anywhere in the module, to what it stands for
    (`import time as t` -> t: time; `from kubectl_nim.log import warn` -> warn:
    kubectl_nim.log.warn; `from .. import log` in kubectl_nim.app -> log: kubectl_nim.log)."""
    names: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                names[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            for alias in node.names:
                names[alias.asname or alias.name] = f"{base}.{alias.name}"
    return names


def qualified_name(node: ast.AST, names: dict[str, str]) -> str | None:
    """`t.sleep` -> time.sleep through the module's imports; a name no import binds is a
    builtin (`print` -> builtins.print); None for what is not a dotted name."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([names.get(node.id, "builtins." + node.id), *reversed(attrs)])


def global_console_and_default_clocks(path: Path, package: str = "kubectl_nim.app") -> list[str]:
    """Every use of the log's notice/warn, of the process's clocks, sleep and streams (through
    any alias), and every defaulted parameter that is the run's, as `line: what`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names = bound_names(tree, package)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            found.append((node.lineno, "import *"))
        if isinstance(node, (ast.Attribute, ast.Name)) and isinstance(node.ctx, ast.Load):
            name = qualified_name(node, names)
            if name in PROCESS_CLOCKS_AND_STREAMS:
                found.append((node.lineno, name))
            elif name and name.startswith(LOG_MODULE + ".") and \
                    name.split(".")[2] not in LOG_ALLOWED and \
                    (isinstance(node, ast.Name) or qualified_name(node.value, names) == LOG_MODULE):
                found.append((node.lineno, name))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            args = node.args
            positional = args.posonlyargs + args.args
            defaulted = positional[len(positional) - len(args.defaults):] if args.defaults else []
            defaulted += [a for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None]
            found += [(node.lineno, f"{getattr(node, 'name', 'lambda')}({a.arg}=...)")
                      for a in defaulted if a.arg in RUN_PARAMETERS]
    return [f"{line}: {what}" for line, what in sorted(found)]


@pytest.mark.parametrize("path", modules("app"), ids=lambda p: p.name)
def test_use_cases_take_console_and_clock_from_the_run(path):
    assert global_console_and_default_clocks(path) == []


def test_the_console_check_sees_through_aliases(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("import time as t\nimport datetime as dt\nimport sys\n"
                   "from time import monotonic as mono\n"
                   "from kubectl_nim.log import warn as w\n"
                   "from kubectl_nim import log as lg\n"
                   "import kubectl_nim.log\n"
                   "from .. import log\n\n"
                   "def f(cluster, *, sleep=t.sleep, clock=None, env=None, warn=lambda s: None):\n"
                   "    lg.notice('x')\n    kubectl_nim.log.warn('y')\n    w('z')\n"
                   "    log.debug('fine: the -v channel')\n    log.register_secret('fine')\n"
                   "    env.notice('fine')\n"
                   "    return mono(), dt.datetime.now(), print('no'), sys.stderr\n")
    assert global_console_and_default_clocks(bad) == [
        "10: f(clock=...)", "10: f(env=...)", "10: f(sleep=...)", "10: f(warn=...)",
        "10: time.sleep", "11: kubectl_nim.log.notice", "12: kubectl_nim.log.warn",
        "13: kubectl_nim.log.warn", "17: builtins.print", "17: datetime.datetime.now",
        "17: sys.stderr", "17: time.monotonic"]


# --- boundaries that hold without a line count (docs/architecture.md) ----------------------------

def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    base = PACKAGE.parent / Path(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def private_imports(path: Path) -> list[str]:
    """Private names (`_x`) of another module of the plugin: `from m import _x`, `m._x(...)`."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.startswith("kubectl_nim"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if is_module(full):
                    aliases[alias.asname or alias.name] = full
                elif alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("kubectl_nim") and alias.asname:
                    aliases[alias.asname] = alias.name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in aliases and node.attr.startswith("_") \
                and not node.attr.startswith("__"):
            found.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", list(every_module()))
def test_no_module_reaches_into_another_modules_private_names(path):
    """What a module shares is public; a private name used elsewhere is a seam to close."""
    assert private_imports(path) == []


def test_the_private_import_check_catches_both_forms(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("from kubectl_nim.app.optimistic import Written, _helper\n"
                   "from kubectl_nim.app import secret_writes\n"
                   "from kubectl_nim.adapters import retry as _retry\n\n"
                   "def f():\n    secret_writes._failed(1)\n    _retry.Policy()\n")
    assert private_imports(bad) == ["1: from kubectl_nim.app.optimistic import _helper",
                                    "6: secret_writes._failed"]


def import_graph() -> dict[str, set[str]]:
    """Module → the plugin's modules it imports (lazy imports included)."""
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        targets = set()
        for name in imported_modules(path):
            while name.startswith("kubectl_nim") and not is_module(name):
                name = name.rpartition(".")[0]
            if name.startswith("kubectl_nim.") and name != module_name(path):
                targets.add(name)
        graph[module_name(path)] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan), sorted."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w.endswith("__init__") or w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


# Packages import what they hold (`kubectl_nim.cli` builds the tree from its verbs): an
# `__init__` is not a module of one layer, so edges into packages are left out.
PACKAGES = {"kubectl_nim", "kubectl_nim.cli", "kubectl_nim.app", "kubectl_nim.domain",
            "kubectl_nim.adapters", "kubectl_nim.adapters.kube", "kubectl_nim.cli.commands"}


def test_no_import_cycles():
    """Not even through a function-level import: a cycle hides two modules that are one."""
    graph = {m: {t for t in ts if t not in PACKAGES} for m, ts in import_graph().items()
             if m not in PACKAGES}
    assert cycles(graph) == []


def test_the_cycle_check_finds_one():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def reexports(path: Path) -> list[str]:
    """`__all__` listing names the module imports, or imports kept only to be re-exported."""
    text = path.read_text()
    tree = ast.parse(text, filename=str(path))
    imported = {alias.asname or alias.name for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) for alias in node.names}
    found = [f"{n}: re-export comment" for n, line in enumerate(text.splitlines(), 1)
             if re.search(r"noqa: F401.*re-?export", line)]
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__"
                                                for t in node.targets):
            names = [e.value for e in getattr(node.value, "elts", [])
                     if isinstance(e, ast.Constant)]
            found += [f"__all__: {n}" for n in names if n in imported]
    return found


@pytest.mark.parametrize("path", list(every_module()))
def test_no_re_export_shims(path):
    """A name is imported from the module that defines it, not from a shim."""
    assert reexports(path) == []


def test_every_label_and_annotation_key_lives_in_names():
    """docs/architecture.md: a key's constant ends in _LABEL or _ANNOTATION, in domain/names.py."""
    found = []
    for path in PACKAGE.rglob("*.py"):
        if path == PACKAGE / "domain" / "names.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) \
                    and isinstance(node.value.value, str):
                found += [f"{path.name}: {t.id}" for t in node.targets if isinstance(t, ast.Name)
                          and re.search(r"_(LABEL|ANNOTATION)$", t.id)]
    assert found == []


# --- the design documents stay true ---------------------------------------------------------------

DOCS = PACKAGE.parent / "docs"


def _top_level_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _class_members() -> dict[str, set[str]]:
    members: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                found = members.setdefault(node.name, set())
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        found.add(item.name)
                    elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        found.add(item.target.id)
                    elif isinstance(item, ast.Assign):
                        found |= {t.id for t in item.targets if isinstance(t, ast.Name)}
    return members


def _module_file(dotted_path: str) -> Path | None:
    """`app/deploy` or `adapters/kube/cluster.py` → the module's file (a package's __init__)."""
    base = PACKAGE / dotted_path.removesuffix(".py")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def cited_but_missing(text: str) -> list[str]:
    """Every `layer/module[.name[.attr]]`, `Class.attr`, top-level module and, in the layer
    table, every bare module or name a document cites that the code does not have."""
    members = _class_members()
    missing = []
    for token in re.findall(r"`([^`\s]+)`", text):
        token = token.rstrip(".,:")
        match = re.fullmatch(r"((?:cli|app|domain|adapters)(?:/\w+)+)(\.py)?((?:\.\w+)*)", token)
        if match:
            path, names = match.group(1), [n for n in match.group(3).split(".") if n]
            module = _module_file(path)
            if module is None:
                missing.append(token)
            elif names and names[0] not in _top_level_names(module):
                missing.append(token)
            elif len(names) > 1 and names[1] not in members.get(names[0], set()):
                missing.append(token)
            continue
        if re.fullmatch(r"(tests|docs)/[\w/.]+", token):
            if not (PACKAGE.parent / token).exists():
                missing.append(token)
        elif re.fullmatch(r"\w+\.py", token) and "/" not in token:
            if not any(PACKAGE.rglob(token)):
                missing.append(token)
        elif re.fullmatch(r"[A-Z]\w+\.\w+", token):
            cls, attr = token.split(".")
            if attr not in members.get(cls, set()):
                missing.append(token)
    for row in re.findall(r"^\| `(cli|app|domain|adapters)/` \| (.*?) \|[^|]*\|$", text, re.M):
        layer, cell = row
        files = list((PACKAGE / layer).rglob("*.py"))
        modules = {str(f.relative_to(PACKAGE / layer).with_suffix("")) for f in files}
        modules |= {str(f.parent.relative_to(PACKAGE / layer)) for f in files
                    if f.name == "__init__.py"}
        defined = set().union(*(_top_level_names(f) for f in files))
        for token in re.findall(r"`([\w/]+(?:\.py)?)`", cell):
            name = token.removesuffix(".py")
            if name not in modules and name not in defined and name not in {"kube"}:
                missing.append(f"{layer}/: {token}")
    return missing


@pytest.mark.parametrize("doc", ["architecture.md", "design.md"])
def test_every_module_and_name_the_docs_cite_exists(doc):
    assert cited_but_missing((DOCS / doc).read_text()) == []


def test_the_doc_check_catches_a_stale_citation():
    text = ("| `app/` | `deploy`, `no_such_module` | x |\n"
            "`app/deploy_plan.build_options`, `app/deploy.gone`, `domain/render.DeployOptions`,"
            " `ClusterError.transient`, `ClusterError.nope`, `cli/nothing.py`\n")
    assert cited_but_missing(text) == ["app/deploy.gone", "domain/render.DeployOptions",
                                       "ClusterError.nope", "cli/nothing.py",
                                       "app/: no_such_module"]


def _anchors(doc: Path) -> set[str]:
    return {re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
            for line in doc.read_text().splitlines() if line.startswith("#")}


def test_every_docs_anchor_cited_in_code_and_tests_exists():
    """Code and tests cite docs/design.md#<section> (not SPEC sections or issue numbers)."""
    anchors = {name: _anchors(DOCS / name) for name in ("design.md", "architecture.md")}
    missing, stale = [], []
    root = PACKAGE.parent
    cited = [*PACKAGE.rglob("*.py"), *(PACKAGE / "data").glob("*.yaml"), *TESTS.rglob("*.py"),
             *(root / "scripts").glob("*.py"), *(root / "benchmarks").glob("*.py")]
    for path in cited:
        text = path.read_text()
        for doc, anchor in re.findall(r"docs/(design\.md|architecture\.md)#([a-z0-9-]+)", text):
            if anchor not in anchors[doc]:
                missing.append(f"{path.name}: {doc}#{anchor}")
        if path.name != "test_architecture.py" and \
                re.search(r"SPEC (§|sections? \d)|\b[Ii]ssue \d+", text):
            stale.append(path.name)
    assert missing == [] and stale == []

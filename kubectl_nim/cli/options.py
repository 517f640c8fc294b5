"""Click options shared by several verbs, defined once (the pip-tools way).

kubectl users type global flags after the verb (`kubectl nim deploy x -n team`), so the global
options are attached both to the root group and to every cluster verb. They never reach the
command functions as parameters: a callback stores them on the shared `GlobalOptions` object, and a
value given after the verb wins over one given before it.
"""

from __future__ import annotations

import re
from typing import Callable

import click

from kubectl_nim import log
from kubectl_nim.cli.context import get_globals
from kubectl_nim.domain.validation import check, check_namespace


_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(text: str) -> float:
    """kubectl-style durations: `30` (seconds), `30s`, `2m`, `1h`, `1m30s`. `0` means no timeout."""
    text = text.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _bounded(float(text), text)
    m = _DURATION.fullmatch(text)
    if not text or not m or not any(m.groups()):
        raise click.BadParameter(f"{text!r} is not a duration; use for example 30s, 2m or 1h")
    hours, minutes, seconds = (float(g) if g else 0.0 for g in m.groups())
    return _bounded(hours * 3600 + minutes * 60 + seconds, text)


def wait_limit(text: str) -> str:
    """How a wait's --timeout reads in its notice ("Waiting {limit} for ..."): `up to 90s` for
    `90` (a bare number is seconds, as parse_duration reads it), `up to 2m` for `2m`. (A wait's
    0 checks once, as `kubectl wait --timeout=0` does: `up to 0s`.)"""
    text = text.strip()
    return "up to " + (f"{text}s" if re.fullmatch(r"\d+(\.\d+)?", text) else text)


# Socket and sleep timeouts overflow long before "forever" (99999999999h raised OverflowError);
# a week is far beyond any request or wait anyone means, and 0 already means "no timeout".
MAX_DURATION = 7 * 24 * 3600.0


def _bounded(seconds: float, text: str) -> float:
    if not seconds <= MAX_DURATION:  # also catches inf and nan
        shown = text if len(text) <= 20 else text[:17] + "..."
        raise click.BadParameter(f"{shown!r} is too long; at most 168h (use 0 for no timeout)")
    return seconds


def _store(attr: str, convert: Callable | None = None):
    def callback(ctx: click.Context, param: click.Parameter, value):
        if value is None or (attr in ("verbose", "insecure_skip_tls_verify", "as_groups")
                             and not value):
            return
        opts = get_globals(ctx)
        if attr == "token" and len(value) >= 8:
            # argv is kubectl's choice for --token; our output still hides it. (A toy token of a
            # few letters would redact every such letter of every message instead.)
            log.register_secret(value)
        if attr == "verbose":
            opts.verbose += value
            log.set_verbosity(opts.verbose)
            return
        setattr(opts, attr, convert(value) if convert else value)

    return callback


def _duration_callback(ctx, param, value):
    if value is None:
        return
    _store("request_timeout")(ctx, param, parse_duration(value))


_GLOBAL_OPTIONS = [
    click.option("--kubeconfig", metavar="PATH", expose_value=False, callback=_store("kubeconfig"),
                 help="Path to the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)."),
    click.option("--context", metavar="NAME", expose_value=False, callback=_store("context"),
                 help="The kubeconfig context to use."),
    click.option("-n", "--namespace", metavar="NS", expose_value=False,
                 callback=_store("namespace", lambda v: check_namespace(v)),
                 help="Project (namespace) to work in (default: the context's namespace)."),
    click.option("--request-timeout", metavar="DURATION", expose_value=False,
                 callback=_duration_callback,
                 help="Timeout of one API request, e.g. 30s or 1m (0 = none)."),
    click.option("-v", "--verbose", count=True, expose_value=False, callback=_store("verbose"),
                 help="Debug log on stderr (secrets redacted). Repeat for more."),
    click.option("--apps-namespace", metavar="NS", expose_value=False,
                 callback=_store("apps_namespace",
                                 lambda v: check_namespace(v, "applications namespace")),
                 help="Applications namespace (default: discovered from the cluster)."),
    # kubectl's connection flags, with kubectl's names and meaning.
    click.option("--server", "server", metavar="URL", expose_value=False,
                 callback=_store("server"), help="The address of the Kubernetes API server."),
    click.option("--token", metavar="TOKEN", expose_value=False, callback=_store("token"),
                 help="Bearer token for the API server (replaces the kubeconfig user's)."),
    click.option("--certificate-authority", metavar="PATH", expose_value=False,
                 callback=_store("certificate_authority"),
                 help="Path to a CA certificate file for the API server."),
    click.option("--insecure-skip-tls-verify", is_flag=True, default=None, expose_value=False,
                 callback=_store("insecure_skip_tls_verify"),
                 help="Do not check the API server's certificate (insecure)."),
    click.option("--as", "as_user", metavar="USER", expose_value=False,
                 callback=_store("as_user"), help="Username to impersonate."),
    click.option("--as-group", "as_groups", metavar="GROUP", multiple=True, expose_value=False,
                 callback=_store("as_groups", tuple),
                 help="Group to impersonate; repeat for several."),
    click.option("--user", metavar="NAME", expose_value=False, callback=_store("user"),
                 help="The kubeconfig user to use."),
    click.option("--cluster", metavar="NAME", expose_value=False, callback=_store("cluster"),
                 help="The kubeconfig cluster to use."),
]


def validated(kind: str, what: str):
    """A click callback checking an optional name against a Kubernetes rule (domain.validation):
    `None` (not given) passes, anything else, the empty string included, must be valid."""
    def callback(ctx, param, value):
        return value if value is None else check(value, kind, what)
    return callback


def global_options(f):
    """Attach the kubectl-style global options (usable before or after the verb)."""
    for option in reversed(_GLOBAL_OPTIONS):
        f = option(f)
    return f


def _field_manager_callback(ctx, param, value):
    if value is None:
        return
    if not value.strip() or len(value) > 128 or any(c in value for c in "\r\n\t"):
        raise click.BadParameter("a field manager is a non-empty name of at most 128 characters")
    _store("field_manager")(ctx, param, value)


def field_manager_option(f):
    """`--field-manager` for every verb that writes (kubectl's flag, the same meaning)."""
    return click.option(
        "--field-manager", metavar="NAME", expose_value=False, callback=_field_manager_callback,
        help="Name of the manager that owns the fields this command writes "
             "(default: kubectl-nim; server-side apply tracks ownership by it).")(f)


def secret_naming_option(what: str = "secrets"):
    """`--secret-naming` of deploy and migrate: one definition, the choices from names."""
    from kubectl_nim.domain.names import SECRET_NAMINGS

    return click.option(
        "--secret-naming", type=click.Choice(list(SECRET_NAMINGS)),
        help=f"Name the {what} nvidia-nim-secrets-NAME (seed) or nim-api-key-NAME (later); "
             f"default: the cluster's generation (see `config view`).")


def key_scope_option(f):
    """`--key-scope project|deployment` of deploy and diff (app/key_scope decides without it)."""
    return click.option(
        "--key-scope", type=click.Choice(["project", "deployment"]), default=None,
        help="project: use the project's NIM Account key, as the dashboard's NIM wizard does "
             "(its Template, key Secret and pull secret; no secrets of the deployment's own); "
             "deployment: the deployment's own two secrets. Default: project when the project "
             "has a ready NIM Account (said on stderr), else deployment; --apply keeps the "
             "scheme an existing deployment has.")(f)


# --dry-run of every verb that writes: kubectl's flag, choices, default and help text; the modes
# and what each means live in domain/dry_run.
def _dry_run(ctx, param, value):
    from kubectl_nim.domain.dry_run import DryRun

    return DryRun.parse(value)


def dry_run_option(f):
    """`--dry-run=none|client|server`, parsed once into a `domain.dry_run.DryRun` (a bare
    `--dry-run` is rewritten to client in cli/root)."""
    return click.option(
        "--dry-run", type=click.Choice(("none", "client", "server")), default="none",
        show_default=True, callback=_dry_run,
        help='Must be "none", "server", or "client". If client strategy, only print what would '
             'be sent, without sending it. If server strategy, submit server-side requests '
             '(dryRun=All) without persisting anything.')(f)


def wait_timeout_option(f):
    """`--timeout` of the verbs with `--wait` (parsed by parse_duration when used)."""
    return click.option("--timeout", default="30m", show_default=True, metavar="DURATION",
                        help="How long --wait waits.")(f)


def restart_options(f):
    """`--no-restart`, `--wait`, `--timeout` of the verbs that change a deployment's secrets."""
    f = wait_timeout_option(f)
    f = click.option("--wait", is_flag=True,
                     help="Wait until the restarted predictor pods are ready.")(f)
    f = click.option("--no-restart", is_flag=True,
                     help="Do not restart the predictor: running pods keep the old key until "
                          "they restart.")(f)
    return f


def skip_key_validation_option(f):
    """`--skip-key-validation` of deploy, rotate-key and migrate."""
    return click.option("--skip-key-validation", is_flag=True,
                        help="Do not check the key with NVIDIA first.")(f)


def output_option(*formats: str, default: str = "table"):
    """`-o` of a verb whose output is not kubectl's print flags (catalog's reports)."""
    return click.option("-o", "--output", "output", type=click.Choice(formats), default=default,
                        show_default=True, help="Output format.")


def catalog_source_options(f):
    f = click.option("--offline", is_flag=True,
                     help="Use the catalog embedded in the plugin; do not contact the cluster.")(f)
    f = click.option("--catalog", "catalog_file", metavar="FILE",
                     type=click.Path(dir_okay=False),
                     help="Read the catalog from a ConfigMap file (YAML or JSON).")(f)
    return f


def ngc_options(f):
    return click.option("--ngc-api-url", envvar="NGC_API_URL", metavar="URL",
                        default="https://api.ngc.nvidia.com", show_default=True,
                        help="NVIDIA NGC API base URL (also $NGC_API_URL).")(f)


def _register_proxy(ctx, param, value):
    """A proxy URL with credentials is a secret from the moment it is parsed."""
    if value:
        from kubectl_nim.domain.proxy import secrets_of

        for secret in secrets_of(value):
            log.register_secret(secret)
    return value


def proxy_options(f):
    """`--https-proxy`, `--no-proxy`, `--ca-bundle` of the verbs whose NIM container (or own
    call) reaches NVIDIA through a proxy (docs/airgap.md)."""
    f = click.option("--ca-bundle", metavar="FILE|cluster",
                     help="CA bundle the proxy needs, mounted with SSL_CERT_FILE: a PEM file, or "
                          "'cluster' for the cluster's trusted CAs (OpenShift injects them).")(f)
    f = click.option("--no-proxy", metavar="LIST",
                     help="Hosts that bypass the proxy (NO_PROXY); cluster-local ones always do.")(f)
    f = click.option("--https-proxy", metavar="URL", callback=_register_proxy,
                     help="Proxy for NVIDIA (HTTPS_PROXY); credentials in it stay secret.")(f)
    return f


def _refuse_key_value(ctx, param, value):
    if value:
        from kubectl_nim.errors import UsageError

        log.register_secret(value)
        raise UsageError(
            "refusing an API key given on the command line: it would leak to `ps` and shell history",
            hint="use --api-key-file PATH (or - for stdin), the NGC_API_KEY environment variable, "
                 "or the interactive prompt")
    return None


def key_options(f):
    """The key input of docs/design.md#the-api-key. `--api-key VALUE` exists only to refuse it with
    a reason."""
    f = click.option("--api-key", "refused_api_key", hidden=True, expose_value=False,
                     callback=_refuse_key_value, is_eager=True)(f)
    f = click.option("--api-key-file", metavar="PATH",
                     help="Read the NVIDIA API key from PATH (- for stdin). "
                          "Else $NGC_API_KEY, else a hidden prompt.")(f)
    return f


def rotation_options(f):
    """The flags of replacing a key, `rotate-key` and `project rotate-key` alike: the new key and
    its check with NVIDIA, the restart that follows (--no-restart, --wait, --timeout), dry run,
    field manager and the global options, in that order in --help."""
    for option in (global_options, field_manager_option, ngc_options, dry_run_option,
                   restart_options, skip_key_validation_option, key_options):
        f = option(f)
    return f


class _RefusedArgument(click.Argument):
    """A positional parameter left out of the usage line: it exists only to be refused."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return []


def refused_key_argument(f):
    """Accept a key pasted as positional argument(s) only to refuse it with the reason.

    `nargs=-1` takes every extra word, so click never echoes one in an "unexpected extra
    argument" error; the refusal registers the value as a secret so nothing prints it.
    """
    return click.argument("refused_key", cls=_RefusedArgument, nargs=-1, expose_value=False,
                          callback=_refuse_key_words, is_eager=True)(f)


def _refuse_key_words(ctx, param, words):
    for word in words:
        log.register_secret(word)
    return _refuse_key_value(ctx, param, " ".join(words))


# --- flags of the disconnected-cluster verbs (docs/airgap.md), shared with deploy's meaning ---

def profile_option(f):
    """`--profile` of deploy (NIM_MODEL_PROFILE) and cache (the profile downloaded)."""
    return click.option("--profile", metavar="PROFILE",
                        help="NIM model profile (id or name, see `cache profiles`): deploy "
                             "serves it (NIM_MODEL_PROFILE), cache downloads it.")(f)


def model_option(multiple: bool = False, help: str = "Catalog name of the NIM model."):
    from kubectl_nim.cli import completion

    if multiple:
        return click.option("--model", "models", multiple=True, required=True,
                            metavar="MODEL[:TAG]", shell_complete=completion.model_names,
                            help=help)
    return click.option("--model", "model_name", required=True, metavar="MODEL",
                        shell_complete=completion.model_names, help=help)


def cache_target_options(f):
    """The model's tag and the claim `cache` fills (deploy's meaning: a new nim-pvc-NAME of
    --pvc-size, or --existing-pvc)."""
    f = click.option("--existing-pvc", metavar="NAME", callback=validated("subdomain", "PVC name"),
                     help="Fill this PVC instead of creating one.")(f)
    f = click.option("--storage-class", metavar="NAME",
                     callback=validated("subdomain", "storage class name"),
                     help="Storage class of the new PVC.")(f)
    f = click.option("--pvc-size", default="50Gi", show_default=True, metavar="SIZE",
                     help="Size of the new cache PVC.")(f)
    return f


def pod_placement_options(f):
    """The tag, scheduling and GPUs of the pods `cache` runs."""
    from kubectl_nim.cli import completion

    f = click.option("--gpus", type=click.IntRange(min=0), metavar="N",
                     help="GPUs the pod requests (the NIM picks its profile for the GPUs it "
                          "sees; default none).")(f)
    f = click.option("--toleration", "tolerations", multiple=True,
                     metavar="KEY[=VALUE][:EFFECT]",
                     help="Tolerate this taint, e.g. nvidia.com/gpu:NoSchedule (repeatable).")(f)
    f = click.option("--node-selector", "node_selector", multiple=True, metavar="KEY=VALUE",
                     help="Run the pod on nodes with this label (repeatable).")(f)
    f = click.option("--tag", metavar="TAG", shell_complete=completion.model_tags,
                     help="Image tag (default: the model's default concrete version).")(f)
    return f


def hardware_profile_options(f):
    """A HardwareProfile whose node scheduling a cache pod takes (deploy annotates with it)."""
    f = click.option("--hardware-profile-namespace", metavar="NS",
                     callback=validated("label", "hardware profile namespace"),
                     help="Namespace of the hardware profile (default: the applications "
                          "namespace).")(f)
    f = click.option("--hardware-profile", metavar="NAME",
                     callback=validated("subdomain", "hardware profile name"),
                     help="Take the node selector, tolerations and GPU count of this "
                          "OpenShift AI hardware profile (flags add to them).")(f)
    return f


def wait_option(help: str):
    return click.option("--wait", is_flag=True, help=help)

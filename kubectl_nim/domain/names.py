"""Deployment names and every Kubernetes name derived from them (docs/design.md#secrets and
docs/design.md#what-deploy-creates).

A deployment name is used verbatim as the ServingRuntime and InferenceService name and inside
the secret and PVC names; KServe derives further names from the InferenceService (the predictor
Service `{n}-predictor`, and on OpenShift AI the host-name label `{n}-predictor-{namespace}`).
A name that passes here therefore never fails later inside a controller, where the user would
only see a reconcile loop. The length limit is computed from the derived names, not hard-coded,
so that adding a derived name keeps the limit right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from kubectl_nim.errors import UsageError

# The Kubernetes name rules live in domain/validation (one definition, checked at the boundary).
from kubectl_nim.domain.validation import DNS1035_LABEL, DNS1123_LABEL, DNS1123_SUBDOMAIN  # noqa: E402,F401

LABEL_MAX = 63
SUBDOMAIN_MAX = 253

# --- The two namings (docs/design.md#names and docs/design.md#cluster-configuration): every name th
# The ADR named the secrets `nvidia-nim-*` (the "seed" naming); the upstream design later dropped
# the prefix (the "later" naming) and renamed the catalog ConfigMap and the runtime Template the
# same way. Both exist on real clusters, so lookups try both and writes follow the cluster.
SEED = "seed"
LATER = "later"
SECRET_NAMINGS = (SEED, LATER)
_SECRET_PREFIXES = {SEED: ("nvidia-nim-secrets-", "nvidia-nim-image-pull-"),
                    LATER: ("nim-api-key-", "nim-image-pull-")}
SECRET_PREFIX, PULL_SECRET_PREFIX = _SECRET_PREFIXES[SEED]
# Today's dashboard integration copies one key into these two secrets of every NIM project.
LEGACY_SECRET = "nvidia-nim-secrets"
LEGACY_PULL_SECRET = "ngc-secret"
# The dashboard's NIM wizard keeps one key per project (docs/compatibility.md, per-project NIM
# Accounts): an Account of this name naming a key Secret (by default LEGACY_SECRET, the same name
# as the global flow's copy), for which odh-model-controller makes this pull secret.
ACCOUNT_NAME = "odh-nim-account"
ACCOUNT_KEY_SECRET = LEGACY_SECRET
ACCOUNT_PULL_SECRET = "odh-nim-account-pull"
ACCOUNT_TEMPLATE = "odh-nim-account-template"   # the runtime Template the controller makes
# Set to an RFC 3339 time on the Account when its key is replaced: the controller re-validates.
FORCE_VALIDATION_ANNOTATION = "runtimes.opendatahub.io/nim-force-validation"
# The Account's key Secret holds the key under both data keys (the controller reads api_key).
ACCOUNT_KEY_DATA_KEYS = ("api_key", "NGC_API_KEY")
# Lookup order in the applications namespace: the seed name first, then the later one.
CATALOG_CONFIGMAPS = ("nvidia-nim-models-data", "nim-models-data")
RUNTIME_TEMPLATES = ("nvidia-nim-http-template", "nim-http-template")
# Either of these in the applications namespace marks a cluster of the later generation.
LATER_GENERATION_MARKERS = (("ConfigMap", CATALOG_CONFIGMAPS[1]),
                            ("Template", RUNTIME_TEMPLATES[1]))

# The OpenShift AI dashboard's settings object in the applications namespace.
DASHBOARD_CONFIG_NAME = "odh-dashboard-config"

PVC_PREFIX = "nim-pvc-"
PREDICTOR_SUFFIX = "-predictor"
DERIVED_NAME_FALLBACK_PREFIX = "nim-"

# --- Label and annotation keys, fixed names inside the objects (docs/design.md#what-deploy-creates)
# A key's constant ends in _LABEL or _ANNOTATION, so it is never mistaken for an object's name
# (NIM_SUPPORT_ANNOTATION is still to be renamed with app/deploy_write.py, its main user).
MANAGED_LABEL = "opendatahub.io/managed"
DASHBOARD_LABEL = "opendatahub.io/dashboard"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"  # on a catalog ConfigMap config wrote
VISIBILITY_LABEL = "networking.kserve.io/visibility"
ISVC_LABEL = "serving.kserve.io/inferenceservice"  # KServe puts it on the predictor pods
# OpenShift fills a ConfigMap with this label with the cluster's trusted CAs (--ca-bundle cluster)
INJECT_CA_LABEL = "config.openshift.io/inject-trusted-cabundle"
DISPLAY_NAME_ANNOTATION = "openshift.io/display-name"
TEMPLATE_NAME_ANNOTATION = "opendatahub.io/template-name"
TEMPLATE_DISPLAY_NAME_ANNOTATION = "opendatahub.io/template-display-name"
API_PROTOCOL_ANNOTATION = "opendatahub.io/apiProtocol"
DEPLOYMENT_MODE_ANNOTATION = "serving.kserve.io/deploymentMode"
HARDWARE_PROFILE_NAME_ANNOTATION = "opendatahub.io/hardware-profile-name"
HARDWARE_PROFILE_NAMESPACE_ANNOTATION = "opendatahub.io/hardware-profile-namespace"
NIM_SUPPORT_ANNOTATION = "opendatahub.io/nim-support"  # on a namespace: the dashboard offers NIM there
NIM_RUNTIME_ANNOTATION = "runtimes.opendatahub.io/nvidia-nim"
RESTART_ANNOTATION = "kubectl-nim/restartedAt"
# On a key secret: when this run wrote the pair (app/secret_pair's fence against a concurrent writer)
KEY_FENCE_ANNOTATION = "kubectl-nim/key-written-at"
LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
# `cache NAME` (docs/airgap.md): its objects carry the cache's name; the PVC records what it holds.
CACHE_JOB_LABEL = "kubectl-nim/cache"
CACHE_MODEL_ANNOTATION = "kubectl-nim/cached-model"
CACHE_TAG_ANNOTATION = "kubectl-nim/cached-tag"
CACHE_PROFILE_ANNOTATION = "kubectl-nim/cached-profile"
KSERVE_GROUP = "serving.kserve.io"
RUNTIME_API_VERSION = f"{KSERVE_GROUP}/v1alpha1"
ISVC_API_VERSION = f"{KSERVE_GROUP}/v1beta1"
KSERVE_CONTAINER = "kserve-container"  # the container KServe runs the model in
GPU_RESOURCE = "nvidia.com/gpu"
DOCKERCONFIG_TYPE = "kubernetes.io/dockerconfigjson"


@dataclass(frozen=True)
class _Derived:
    """One name built from the deployment name `{n}`, and the longest it may be."""

    pattern: str  # `{n}` stands for the deployment name, `{ns}` for the project
    max_len: int
    what: str

    def fixed_len(self, namespace: Optional[str]) -> int:
        return len(self.pattern.format(n="", ns=namespace or ""))


# Labels (≤ 63) bind long before subdomains (≤ 253), but all are listed so the rule is complete.
_DERIVED = (
    _Derived("{n}", LABEL_MAX, "the ServingRuntime and InferenceService name"),
    _Derived("{n}" + PREDICTOR_SUFFIX, LABEL_MAX, "KServe's predictor Service name"),
    _Derived(PVC_PREFIX + "{n}", LABEL_MAX, "the cache PVC, also a pod volume name"),
    _Derived(SECRET_PREFIX + "{n}", SUBDOMAIN_MAX, "the API-key Secret"),
    _Derived(PULL_SECRET_PREFIX + "{n}", SUBDOMAIN_MAX, "the image-pull Secret"),
)
# KServe builds the predictor host name from `{n}-predictor-{namespace}` and, on OpenShift AI,
# fails to reconcile when that label exceeds 63 (kserve/kserve#4807); checked when the project
# is known.
_HOST_LABEL = _Derived("{n}" + PREDICTOR_SUFFIX + "-{ns}", LABEL_MAX, "KServe's host-name label")


def _binding_rule(namespace: Optional[str]) -> tuple[int, _Derived]:
    """The longest deployment name allowed, and the derived name that imposes it."""
    rules = _DERIVED + ((_HOST_LABEL,) if namespace else ())
    return min(((r.max_len - r.fixed_len(namespace), r) for r in rules), key=lambda x: x[0])


def max_deployment_name_length(namespace: Optional[str] = None) -> int:
    """53 without a namespace (`{n}-predictor` ≤ 63); less for long project names."""
    return _binding_rule(namespace)[0]


def _character_problem(name: str) -> Optional[str]:
    """Why `name` is not a DNS-1035 label (ignoring length), or None."""
    if not name:
        return "must not be empty"
    if name != name.lower() and DNS1035_LABEL.fullmatch(name.lower()):
        return "must be lowercase"
    if not re.fullmatch(r"[-a-z0-9]+", name):
        bad = sorted({c for c in name if not re.fullmatch(r"[-a-z0-9]", c)})
        shown = " ".join(repr(c) for c in bad[:5])
        return f"may contain only lowercase letters, digits and '-' (found {shown})"
    if not name[0].isalpha():
        return "must start with a letter"
    if name.endswith("-"):
        return "must end with a letter or digit"
    return None


def validate_deployment_name(name: str, namespace: Optional[str] = None) -> str:
    """Return `name` if it and every name derived from it are valid; else raise UsageError.

    With `namespace`, also check KServe's host-name label `{n}-predictor-{namespace}`.
    """
    problem = _character_problem(name)
    if problem:
        raise UsageError(f"invalid deployment name {name!r}: it {problem}",
                         hint=_suggestion(name, namespace))
    limit, rule = _binding_rule(namespace)
    if len(name) > limit:
        derived = rule.pattern.replace("{ns}", namespace or "")
        if limit < 1:
            raise UsageError(
                f"project name {namespace!r} is too long for any deployment: {derived} "
                f"({rule.what}) must be at most {rule.max_len} characters")
        actual = rule.pattern.format(n=name, ns=namespace or "")
        raise UsageError(
            f"invalid deployment name {name!r}: name is {len(name)} characters; the longest "
            f"name derived from it, {derived.replace('{n}', 'NAME')} ({rule.what}), would be "
            f"{len(actual)} and must be at most {rule.max_len}, so use at most {limit}",
            hint=_suggestion(name, namespace))
    return name


def _suggestion(name: str, namespace: Optional[str]) -> Optional[str]:
    try:
        return f"for example {derive_deployment_name(name, namespace)!r}"
    except UsageError:
        return None


def derive_deployment_name(model_name: str, namespace: Optional[str] = None) -> str:
    """A valid deployment name for a model: `llama-3.1-8b-instruct` → `llama-3-1-8b-instruct`.

    Lowercase, every run of other characters becomes one '-', a name not starting with a letter
    gets the `nim-` prefix, and the result is cut to the computed limit without a trailing '-'.
    """
    limit = max_deployment_name_length(namespace)
    if limit < 1:
        validate_deployment_name("n", namespace)  # raises the "project name too long" error
    slug = re.sub(r"[^a-z0-9]+", "-", model_name.lower()).strip("-")
    if not slug[:1].isalpha():
        slug = DERIVED_NAME_FALLBACK_PREFIX + slug
    return slug[:limit].rstrip("-")


def derived_names(name: str, naming: str = SEED) -> dict[str, str]:
    """Every object name a deployment owns, keyed by role, secrets in `naming`
    (docs/design.md#names and docs/design.md#what-deploy-creates)."""
    secret_prefix, pull_prefix = _SECRET_PREFIXES[naming]
    return {
        "secret": secret_prefix + name,
        "pull_secret": pull_prefix + name,
        "pvc": PVC_PREFIX + name,
        "runtime": name,
        "inference_service": name,
    }


def own_secret_names(name: str) -> dict[str, tuple[str, ...]]:
    """The names a deployment's own secrets may have in either naming, by role: every verb
    recognises both (`{"secret": (seed, later), "pull_secret": (seed, later)}`)."""
    return {role: tuple(derived_names(name, n)[role] for n in SECRET_NAMINGS)
            for role in ("secret", "pull_secret")}


def naming_by_prefix(secret: str) -> Optional[str]:
    """Which naming a secret's name follows, whatever deployment it belongs to, or None."""
    return next((naming for naming, prefixes in _SECRET_PREFIXES.items()
                 if secret.startswith(prefixes)), None)


def naming_of(name: str, secret: str) -> Optional[str]:
    """Which naming `secret` follows as one of deployment `name`'s own secrets, or None."""
    for naming in SECRET_NAMINGS:
        if secret in derived_names(name, naming).values():
            return naming
    return None


def choose_secret_naming(override: Optional[str], apps_namespace: Optional[str],
                         later_markers_found: list[str]) -> tuple[str, str, str]:
    """The naming `deploy` (and `migrate`) write: (naming, source, why).

    `later_markers_found`: the LATER_GENERATION_MARKERS that exist in the applications
    namespace, as `kind/name`. `--secret-naming` wins; else a cluster shipping a later-named
    catalog or Template gets the later naming, and every other cluster the ADR's seed naming.
    """
    if override:
        if override not in SECRET_NAMINGS:
            raise UsageError(f"unknown secret naming {override!r}",
                             hint=f"use one of {', '.join(SECRET_NAMINGS)}")
        return override, "--secret-naming", "given on the command line"
    if later_markers_found:
        return (LATER, f"{later_markers_found[0]} in {apps_namespace}",
                f"the applications namespace ships {' and '.join(later_markers_found)}, "
                f"the later names: secrets nim-api-key-NAME / nim-image-pull-NAME")
    where = f"in {apps_namespace}" if apps_namespace else "(no applications namespace found)"
    return (SEED, "default",
            f"no {' or '.join(n for _, n in LATER_GENERATION_MARKERS)} {where}: the ADR's "
            f"names, secrets nvidia-nim-secrets-NAME / nvidia-nim-image-pull-NAME")


def is_dns1123_label(name: str) -> bool:
    return len(name) <= LABEL_MAX and bool(DNS1123_LABEL.fullmatch(name))


def validate_claim_name(name: str) -> str:
    """An existing PVC to reuse (`--existing-pvc`) must at least be a valid object name."""
    if len(name) > SUBDOMAIN_MAX or not DNS1123_SUBDOMAIN.fullmatch(name):
        raise UsageError(f"invalid PVC name {name!r}: a claim name is a lowercase DNS-1123 "
                         f"subdomain of at most {SUBDOMAIN_MAX} characters")
    return name


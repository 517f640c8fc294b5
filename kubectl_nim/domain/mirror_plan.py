"""`mirror plan`: which images a disconnected cluster needs, and what to apply there.

Pure: a catalog and the models asked for in; the plan's documents out (docs/airgap.md):
- an oc-mirror v2 `ImageSetConfiguration` listing each image under `mirror.additionalImages`;
- with a registry, an `ImageTagMirrorSet` sending the pulls of each `nvcr.io` repository used to
  the mirror (oc-mirror keeps the repository path below the registry it mirrors to);
- a catalog ConfigMap (docs/architecture.md's catalog format) holding only the mirrored models
  and tags, so the disconnected cluster's users cannot pick what was not mirrored.

Tags: `--model M` mirrors M's default tag (a concrete version: domain/catalog.default_tag);
`--model M:TAG` mirrors TAG, a floating one (`latest`, `1`) included since it was named, with
the floating-tag warning; `--all-tags` mirrors every concrete tag of each model and never a
floating one. A model whose catalog lists no concrete tag must be given one explicitly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

from kubectl_nim.domain import catalog as catalog_mod
from kubectl_nim.domain.catalog import REGISTRY, Catalog, Model
from kubectl_nim.domain.names import MANAGED_BY_LABEL, MANAGED_LABEL
from kubectl_nim.domain.validation import DNS1123_SUBDOMAIN
from kubectl_nim.errors import UsageError

ISC_API_VERSION = "mirror.openshift.io/v2alpha1"
ITMS_API_VERSION = "config.openshift.io/v1"
PARTS = ("imageset", "itms", "catalog")
MIRRORED_CATALOG_NAME = "nim-models-mirrored"
ITMS_NAME = "nvidia-nim-mirror"
# host[:port][/path...]: the pattern of an ImageTagMirrorSet mirror (openshift/api's CRD), which
# is also what `oc mirror ... docker://HOST/PATH` takes.
_HOST = (r"((?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:(?:\.(?:[a-zA-Z0-9]|"
         r"[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))+)?(?::[0-9]+)?)")
_REGISTRY = re.compile(_HOST + r"(?:(?:/[a-z0-9]+(?:(?:(?:[._]|__|[-]*)[a-z0-9]+)+)?)+)?")


@dataclass(frozen=True)
class Selection:
    """One model and the tags to mirror of it (catalog order), and what to tell the user."""

    model: Model
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    selections: tuple[Selection, ...]
    registry: Optional[str]
    warnings: tuple[str, ...]

    @property
    def images(self) -> list[str]:
        return [s.model.image(t) for s in self.selections for t in s.tags]

    @property
    def eu_restricted(self) -> list[str]:
        return [s.model.name for s in self.selections if s.model.eu_restricted]


def parse_model_ref(text: str) -> tuple[str, Optional[str]]:
    """`llama:1.8.0` → ("llama", "1.8.0"); `llama` → ("llama", None). Model names hold dots,
    never a colon, so the last colon splits."""
    name, sep, tag = text.strip().rpartition(":")
    if not sep:
        return text.strip(), None
    if not name or not tag:
        raise UsageError(f"--model {text!r} is not MODEL or MODEL:TAG")
    return name, tag


def check_registry(registry: str) -> str:
    """`mirror.example.com:5000/nim` without a scheme or trailing slash, as oc-mirror and an
    ImageTagMirrorSet take it."""
    cleaned = registry.strip()
    if cleaned.startswith(("docker://", "https://", "http://")):
        cleaned = cleaned.split("://", 1)[1]
    cleaned = cleaned.rstrip("/")
    if not _REGISTRY.fullmatch(cleaned):
        raise UsageError(f"--registry {registry!r} is not HOST[:PORT][/PATH]",
                         hint="for example mirror.example.com:5000/nvidia (a lowercase path)")
    return cleaned


def plan(catalog: Catalog, refs: Sequence[str], all_tags: bool = False,
         registry: Optional[str] = None) -> Plan:
    """The plan for `--model` values `refs`; NotFound (with the closest names) for an unknown
    model or tag, UsageError for a model given twice or nothing concrete to mirror."""
    if not refs:
        raise UsageError("name at least one model: --model M[:TAG] (repeatable)")
    wanted: dict[str, list[Optional[str]]] = {}
    for ref in refs:
        name, tag = parse_model_ref(ref)
        wanted.setdefault(name, []).append(tag)
    warnings: list[str] = []
    selections = []
    for name, tags in wanted.items():
        model = catalog.get(name)
        chosen = _tags_of(model, tags, all_tags, warnings)
        selections.append(Selection(model, tuple(t for t in model.tags if t in chosen)))
    for selection in selections:
        if selection.model.eu_restricted:
            warnings.append(f"{selection.model.name} is restricted in the European Union: "
                            f"NVIDIA refuses to serve it (HTTP 451) to EU locations, so "
                            f"oc-mirror run from there cannot pull it")
    return Plan(tuple(selections), check_registry(registry) if registry else None,
                tuple(warnings))


def _tags_of(model: Model, asked: list[Optional[str]], all_tags: bool,
             warnings: list[str]) -> set[str]:
    chosen: set[str] = set()
    for tag in asked:
        if tag is not None:
            chosen.add(catalog_mod.resolve_tag(model, tag))
            floating = catalog_mod.floating_tag_warning(model, tag)
            if floating:
                warnings.append(f"mirroring {floating}")
        elif all_tags:
            concrete = {t for t in model.tags if catalog_mod.is_concrete(t)}
            skipped = [t for t in model.tags if t not in concrete]
            if not concrete:
                raise _floating_only(model)
            chosen |= concrete
            if skipped:
                warnings.append(f"{model.name}: not mirroring the floating tag(s) "
                                f"{', '.join(skipped)}; name one as {model.name}:TAG to mirror it")
        else:
            tag = catalog_mod.default_tag(model)
            if not catalog_mod.is_concrete(tag):
                raise _floating_only(model)
            chosen.add(tag)
    return chosen


def _floating_only(model: Model) -> UsageError:
    return UsageError(
        f"{model.name} lists no concrete version, only floating tags "
        f"({', '.join(model.tags)}): a mirror of one would silently go stale",
        hint=f"name the tag to mirror anyway, e.g. --model {model.name}:{model.tags[0]}")


# --- the documents ------------------------------------------------------------------------------

def image_set_configuration(plan: Plan) -> dict:
    """What `oc mirror --v2 -c FILE` reads."""
    return {"apiVersion": ISC_API_VERSION, "kind": "ImageSetConfiguration",
            "mirror": {"additionalImages": [{"name": image} for image in plan.images]}}


def image_tag_mirror_set(plan: Plan, name: str = ITMS_NAME) -> dict:
    """Pulls of each nvcr.io repository namespace used go to the mirror (cluster-scoped)."""
    if not plan.registry:
        raise UsageError("an ImageTagMirrorSet needs the mirror: pass --registry HOST[/PATH]")
    namespaces = sorted({s.model.namespace for s in plan.selections})
    return {"apiVersion": ITMS_API_VERSION, "kind": "ImageTagMirrorSet",
            "metadata": {"name": name},
            "spec": {"imageTagMirrors": [
                {"source": f"{REGISTRY}/{ns}", "mirrors": [f"{plan.registry}/{ns}"]}
                for ns in namespaces]}}


def mirrored_model(selection: Selection) -> Model:
    """The model as the disconnected catalog lists it: only the mirrored tags; `latestTag` one
    of them (itself if mirrored, else the newest concrete mirrored one) so that deploy's
    default tag is always there."""
    from dataclasses import replace

    model, tags = selection.model, selection.tags
    latest = model.latest_tag if model.latest_tag in tags else \
        (catalog_mod.newest_concrete(tags) or tags[0])
    return replace(model, tags=tags, latest_tag=latest)


def catalog_configmap(plan: Plan, name: str = MIRRORED_CATALOG_NAME) -> dict:
    """The catalog ConfigMap of the mirrored models, for `config set-custom-configmap NAME
    --from-file FILE` on the disconnected side (no namespace: that command puts it in the
    applications namespace)."""
    if not DNS1123_SUBDOMAIN.fullmatch(name):
        raise UsageError(f"invalid ConfigMap name {name!r}")
    models = sorted((mirrored_model(s) for s in plan.selections), key=lambda m: m.name)
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name,
                         "labels": {MANAGED_LABEL: "true", MANAGED_BY_LABEL: "kubectl-nim"}},
            "data": {m.name: catalog_mod.entry_json(m) for m in models}}


def documents(plan: Plan, parts: Iterable[str] = PARTS, catalog_name: str =
              MIRRORED_CATALOG_NAME) -> list[dict]:
    """The plan's documents in PARTS order; the ITMS only with a registry (unless asked for)."""
    wanted = set(parts)
    docs = []
    if "imageset" in wanted:
        docs.append(image_set_configuration(plan))
    if "itms" in wanted and (plan.registry or wanted == {"itms"}):
        docs.append(image_tag_mirror_set(plan))
    if "catalog" in wanted:
        docs.append(catalog_configmap(plan, catalog_name))
    return docs


def login_hint(plan: Plan) -> str:
    """The registry login oc-mirror needs before it can pull from nvcr.io: never the key."""
    return (f"oc-mirror pulls from {REGISTRY} with your container credentials: first run "
            f"`podman login {REGISTRY} --username '$oauthtoken'` and paste your NVIDIA API key "
            f"(nvapi-...) when asked for the password")


def configmap_size(configmap: dict) -> int:
    return sum(len(k.encode()) + len(v.encode()) for k, v in configmap["data"].items())


"""The pure core of the maintainers' build-time tool (`catalog generate | detect-eu | diff`).

Everything here is a function of plain data — catalog search resources, details outcomes,
catalogs — so that it can be tested without a network and so that its results never depend on
the order in which concurrent requests happened to complete. The I/O (NGC client, progress,
files) lives in `kubectl_nim.cli.commands.catalog`. The EU list's file format is
`domain/eu_restricted`; comparing two catalogs is `domain/catalog_diff`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional, Protocol, Sequence

from kubectl_nim.domain.catalog import CONFIGMAP_LIMIT_BYTES, CONFIGMAP_NAME, Model, to_configmap_yaml
from kubectl_nim.domain.eu_restricted import EuRestricted, is_listed
from kubectl_nim.errors import NimError

# What Kubernetes accepts as a ConfigMap data key (a model name is the key).
CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")


class Resource(Protocol):
    """What the build needs of a catalog search resource (`ngc.CatalogResource`)."""

    resource_id: str
    latest_tag: str
    display_name: str
    description: str
    date_modified: str


class Outcome(Protocol):
    """What the build needs of a details outcome (`ngc.DetailsOutcome`)."""

    resource_id: str
    details: Optional[dict]
    error: Optional[Exception]
    eu_restricted: bool


# --- details → models ------------------------------------------------------------------------

def model_from_details(resource: Resource, details: Mapping[str, Any],
                       eu_restricted: bool = False) -> Optional[Model]:
    """One model of the catalog from NVIDIA's repository details (docs/design.md#catalog).

    The details win; the catalog search fills what they lack. None when neither has a
    latestTag (such a model is left out). ValueError when the details cannot make an entry.
    """
    parts = resource.resource_id.split("/")
    name = _text(details.get("name")) or parts[-1]
    namespace = (_text(details.get("namespace")) or "/".join(parts[:-1])).strip("/")
    latest = _text(details.get("latestTag")) or resource.latest_tag
    if not latest:
        return None
    tags = details.get("tags")
    if not isinstance(tags, list) or not tags or \
            not all(isinstance(t, str) and t.strip() for t in tags):
        raise ValueError("its details carry no list of tags")
    if not CONFIGMAP_KEY.match(name):
        raise ValueError(f"its name {name!r} cannot be a ConfigMap key")
    return Model(name=name, namespace=namespace, tags=tuple(tags), latest_tag=latest,
                 display_name=_text(details.get("displayName")) or resource.display_name or name,
                 short_description=_text(details.get("shortDescription"))
                 or resource.description,
                 updated_date=_text(details.get("updatedDate")) or resource.date_modified,
                 eu_restricted=eu_restricted)


def _text(value: Any) -> str:
    """NVIDIA's text as is (a trailing space included: reruns must match byte for byte), or ""
    when it is missing or blank."""
    return value if isinstance(value, str) and value.strip() else ""


def failure_reason(error: Optional[Exception]) -> str:
    """A short reason for a model that could not be fetched ("HTTP 503 after 5 attempts")."""
    if error is None:
        return "no answer"
    return getattr(error, "cause", None) or getattr(error, "message", None) or str(error)


@dataclass(frozen=True)
class Failure:
    resource_id: str
    reason: str


@dataclass(frozen=True)
class BuildResult:
    """The catalog of a generate run and everything that did not make it into it."""

    models: tuple[Model, ...]                # sorted by name
    unavailable: tuple[str, ...] = ()        # resource ids answering 451, sorted
    untagged: tuple[str, ...] = ()           # listed without a latestTag, sorted
    failed: tuple[Failure, ...] = ()         # sorted by resource id
    warnings: tuple[str, ...] = ()

    @property
    def eu_marked(self) -> int:
        return sum(m.eu_restricted for m in self.models)


def build_catalog(resources: Iterable[Resource], outcomes: Iterable[Outcome],
                  eu_restricted: Sequence[EuRestricted] = (),
                  untagged: Iterable[str] = ()) -> BuildResult:
    """Catalog search resources + their details outcomes → the models of the ConfigMap.

    451 answers are left out and listed; other errors are failures; models listed in
    `eu_restricted` are marked. The result depends only on the sets given, never on their
    order: two models with the same name keep the one whose namespace sorts first.
    """
    by_id = {r.resource_id: r for r in resources}
    untagged = list(untagged)
    models: dict[str, Model] = {}
    unavailable, failed, warnings = [], [], []
    for outcome in sorted(outcomes, key=lambda o: o.resource_id):
        resource = by_id.get(outcome.resource_id)
        if resource is None:
            continue
        if outcome.eu_restricted:
            unavailable.append(outcome.resource_id)
            continue
        if outcome.details is None:
            failed.append(Failure(outcome.resource_id, failure_reason(outcome.error)))
            continue
        eu = is_listed(outcome.resource_id, outcome.resource_id.split("/")[-1], eu_restricted)
        try:
            model = model_from_details(resource, outcome.details, eu)
        except ValueError as e:
            failed.append(Failure(outcome.resource_id, str(e)))
            continue
        if model is None:
            untagged.append(outcome.resource_id)
            continue
        kept = models.get(model.name)
        if kept is not None:
            first, second = sorted([kept, model], key=lambda m: m.namespace)
            warnings.append(f"{first.namespace}/{first.name} and {second.namespace}/{second.name}"
                            f" share the name {model.name!r}; keeping {first.namespace}/"
                            f"{first.name}")
            model = first
        models[model.name] = model
    missing = sorted({e.resource_id or e.name for e in eu_restricted}
                     - {m for rid in by_id for m in (rid, rid.split("/")[-1])})
    if missing:
        warnings.append(f"the EU-restricted list names {len(missing)} model"
                        f"{'' if len(missing) == 1 else 's'} not in the catalog: "
                        f"{', '.join(missing)}")
    return BuildResult(models=tuple(models[n] for n in sorted(models)),
                       unavailable=tuple(unavailable), untagged=tuple(sorted(set(untagged))),
                       failed=tuple(failed), warnings=tuple(sorted(warnings)))


# --- the ConfigMap text and its size ---------------------------------------------------------

def header(result: BuildResult) -> list[str]:
    """Comment lines for the generated file. Nothing volatile (no date, host or version), so
    that two runs over the same catalog are byte-identical and a release PR shows real changes.
    """
    count = len(result.models)
    return [f"NVIDIA NIM model catalog ({count} model{'' if count == 1 else 's'}, "
            f"{result.eu_marked} EU-restricted): the catalog ConfigMap OpenShift AI reads (format: kubectl-nim's docs/design.md#catalog).",
            "Generated by `kubectl nim catalog generate` from the NGC catalog; do not edit by "
            "hand, regenerate it.",
            "One compact JSON entry per model, sorted by name."]


def render_configmap(result: BuildResult, name: str = CONFIGMAP_NAME,
                     namespace: Optional[str] = None) -> str:
    return to_configmap_yaml(result.models, header=header(result), name=name, namespace=namespace)


class CatalogTooLarge(NimError):
    """The ConfigMap would not fit the 1 MiB object limit."""


def check_size(text: str, limit: Optional[int] = None) -> int:
    """The size in bytes of the ConfigMap text; CatalogTooLarge when it reaches `limit`
    (default: the 1 MiB ConfigMap limit, read at call time so that tests can lower it)."""
    limit = CONFIGMAP_LIMIT_BYTES if limit is None else limit
    size = len(text.encode("utf-8"))
    if size >= limit:
        raise CatalogTooLarge(
            f"the catalog would be {size:,} bytes ({size / 1048576:.2f} MiB), over the "
            f"{limit:,}-byte ConfigMap limit; nothing was written",
            hint="leave models out (or shorten their descriptions) or split the catalog")
    return size


# --- progress and summary --------------------------------------------------------------------

def progress_line(done: int, total: int, elapsed: float, retries: int) -> str:
    """`  93/186 models  52.3/s  2 retries` (the TTY line and the piped lines)."""
    rate = done / elapsed if elapsed > 0 else 0.0
    width = len(str(total))
    return f"{done:>{width}}/{total} models  {rate:.1f}/s  {_retries(retries)}"


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def _retries(count: int) -> str:
    return f"{count:,} retr{'y' if count == 1 else 'ies'}"


@dataclass(frozen=True)
class Summary:
    """The end-of-run line of `catalog generate`."""

    processed: int
    written: int
    eu_marked: int
    unavailable: int
    untagged: int
    failed: int
    retries: int
    size: Optional[int]  # None: nothing was written
    seconds: float
    destination: str = "standard output"

    @classmethod
    def of(cls, result: BuildResult, processed: int, retries: int, size: Optional[int],
           seconds: float, destination: str = "standard output") -> "Summary":
        written = size is not None
        return cls(processed=processed, written=len(result.models) if written else 0,
                   eu_marked=result.eu_marked if written else 0,
                   unavailable=len(result.unavailable), untagged=len(result.untagged),
                   failed=len(result.failed), retries=retries, size=size, seconds=seconds,
                   destination=destination)

    def line(self) -> str:
        where = (f"{self.size:,} bytes to {self.destination}" if self.size is not None
                 else "nothing written")
        return (f"Processed {_plural(self.processed, 'model')} in {self.seconds:.1f}s: "
                f"{self.written:,} written ({self.eu_marked:,} EU-restricted), "
                f"{self.unavailable:,} left out (HTTP 451), "
                f"{self.untagged:,} left out (no latestTag), {self.failed:,} failed, "
                f"{_retries(self.retries)}; {where}.")

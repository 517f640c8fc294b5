"""Bounded parsing of untrusted text: the one YAML loader (and JSON decoder) used everywhere.

Catalog files, kubeconfigs and ConfigMap values come from users and clusters. Unbounded, a
443-byte YAML alias bomb expanded to 910 MiB, and deep nesting raised RecursionError.
YAML is composed into its node graph first (cheap: an alias is one shared node), the graph is
measured as it would expand (nodes, depth, scalar characters), and only a document within the
limits is constructed. Every refusal is a `TooComplex` (a ValueError) saying which bound broke.
"""

from __future__ import annotations

import json
from typing import Any

MAX_BYTES = 16 * 1024 * 1024        # a catalog ConfigMap is at most 1 MiB (etcd); kubeconfigs KiB
MAX_NODES = 1_000_000               # expanded collection items + scalars; the real catalog: ~400
MAX_DEPTH = 64                      # deepest real input (a Template) is ~15 levels
MAX_EXPANDED_CHARS = 64 * 1024 * 1024


class TooComplex(ValueError):
    """The text breaks a bound; the message says which."""


def _check_size(text: str | bytes, limit: int | None = MAX_BYTES) -> None:
    if limit is not None and len(text) > limit:
        raise TooComplex(f"it is {len(text)} bytes, more than the {limit} allowed")


def load_json(text: str | bytes, max_bytes: int | None = MAX_BYTES) -> Any:
    """json.loads with the size bound (None: none, for API answers, already in memory and free
    of aliases); deep nesting becomes TooComplex, not RecursionError. Invalid JSON still raises
    json.JSONDecodeError (callers fall back to YAML on it)."""
    _check_size(text, max_bytes)
    try:
        return json.loads(text)
    except RecursionError:
        raise TooComplex("it is nested too deeply") from None


def load_yaml(text: str) -> Any:
    """One YAML document, safely (libyaml when present), within the bounds above.
    Syntax errors raise yaml.YAMLError as before; broken bounds raise TooComplex."""
    import yaml

    _check_size(text)
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    loader = loader_class(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError:
            raise TooComplex("it is nested too deeply") from None
        if node is None:
            return None
        _measure(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _measure(root) -> None:
    """Expanded node count, depth and scalar characters of a composed YAML graph, iteratively
    (no recursion limit), each shared (aliased) node measured once and counted per use."""
    import yaml

    size: dict[int, tuple[int, int, int]] = {}  # id(node) -> (nodes, depth, chars)
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if key in size and not children_done:
            continue
        if isinstance(node, yaml.ScalarNode):
            size[key] = (1, 1, len(node.value))
            continue
        children = ([c for pair in node.value for c in pair]
                    if isinstance(node, yaml.MappingNode) else list(node.value))
        if not children_done:
            if key in on_path:
                raise TooComplex("it refers to itself (a recursive alias)")
            on_path.add(key)
            if len(on_path) > MAX_DEPTH:
                raise TooComplex(f"it is nested more than {MAX_DEPTH} levels deep")
            stack.append((node, True))
            for child in children:
                if id(child) in on_path:
                    raise TooComplex("it refers to itself (a recursive alias)")
                if id(child) not in size:
                    stack.append((child, False))
            continue
        on_path.discard(key)
        nodes, depth, chars = 1, 0, 0
        for child in children:
            n, d, c = size[id(child)]
            nodes, depth, chars = nodes + n, max(depth, d), chars + c
        depth += 1
        if nodes > MAX_NODES:
            raise TooComplex(f"it expands to more than {MAX_NODES} values (YAML aliases)")
        if depth > MAX_DEPTH:
            raise TooComplex(f"it is nested more than {MAX_DEPTH} levels deep")
        if chars > MAX_EXPANDED_CHARS:
            raise TooComplex(f"it expands to more than {MAX_EXPANDED_CHARS} characters "
                             f"(YAML aliases)")
        size[key] = (nodes, depth, chars)

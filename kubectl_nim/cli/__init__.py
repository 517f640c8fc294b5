"""The click layer: the root group (`cli`), the console script (`main`), the verbs, the shared
options and the printers. Nothing below `kubectl_nim.cli` imports it (tests/test_architecture.py).

`cli` and `main` live in `root.py` and are loaded on first use, so that importing a helper such as
`kubectl_nim.cli.output` does not build the whole command tree.
"""


# What `kubectl_nim.cli` offers from root.py; any other name is a submodule (`from kubectl_nim.cli
# import completion` must not build the command tree on the way).
_ROOT = ("cli", "main", "invoked_name", "kubectl_spellings", "usage_line", "NimGroup")


def __getattr__(name):
    if name not in _ROOT:
        raise AttributeError(f"module 'kubectl_nim.cli' has no attribute {name!r}")
    from kubectl_nim.cli import root

    return getattr(root, name)

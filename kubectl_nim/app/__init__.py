"""Use cases, one module per verb: they orchestrate the domain rules and the adapters."""

from typing import Callable

# What a use case reports as it goes: (object reference, action), e.g.
# ("secret/nvidia-nim-secrets-llama", "configured"). The CLI prints it kubectl's way, with the
# dry-run suffix; use cases never format output.
Emit = Callable[[str, str], None]

# Notices and warnings go through the run's console, never a global stream: a use case takes the
# run's Environment and calls `env.notice(text)` / `env.warn(text)` (kubectl_nim/environment.py;
# the CLI binds them to the redacting log, a test to a list); a step shared by several use cases
# takes just the `warn=` / `notice=` / `sleep=` / `clock=` / `now=` it uses, required. Results go
# through `Emit` (docs/architecture.md#use-cases).

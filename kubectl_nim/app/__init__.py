"""Use cases, one module per verb: they orchestrate the domain rules and the adapters."""

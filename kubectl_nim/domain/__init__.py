"""Pure rules of kubectl-nim: objects in, decisions out; no I/O, no click, no httpx."""

"""The tests' shared helpers, one package, imported one way: `from tests.helpers.X import ...`.

Fixtures stay in the conftest files; what a test calls (seeders, builders, runners) lives here:
`catalog` (catalog entries and ConfigMaps), `day2` (deployments as deploy and the dashboard make
them), `deploy`, `obs` (observability fixtures' objects), `process` (the console script as a
child process), `binary`, `render_cases`, `openshift_shapes`, `realcluster` (the real tier's
constants).
"""

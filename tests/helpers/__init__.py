"""The tests' shared helpers, one package, imported one way: `from tests.helpers.X import ...`.

Fixtures stay in the conftest files (a few that only some modules ask for live beside their
builders: `deploy.project`, `deploy.cluster`, `kubeconfigs.socks_proxy`); what a test calls
(seeders, builders, runners) lives here: `catalog` (catalog entries and ConfigMaps), `day2`
(deployments as deploy and the dashboard make them, and `cli`, the one runner of a verb against
a kubeconfig), `deploy`, `wait` (InferenceService states, a scripted sleep), `generations` (the
cluster generations of docs/compatibility.md), `kubeconfigs` (kubeconfig files, an exec-plugin
user, a SOCKS5 proxy), `obs` (observability fixtures' objects), `process` (the console script as
a child process), `binary`, `render_cases`, `openshift_shapes`, `scripts` (scripts/*.py as
modules), `paths` (the repository's folders, wherever a test module sits), `realcluster` and
`control_plane` (the real tiers' constants and steps), `commands` (every verb's commands).
No test module imports another test module.
"""

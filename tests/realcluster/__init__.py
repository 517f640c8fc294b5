"""Tests against a real kube-apiserver + etcd (started by tests/realcluster/serve.py)."""

"""Tests against a real kube-apiserver + etcd (SPEC section 9)."""

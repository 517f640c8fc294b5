"""kubectl-nim: deploy NVIDIA NIM models on OpenShift AI / Open Data Hub the key-per-deployment way."""

__version__ = "0.1.0"

"""`DeployOptions` from flag-named fields (`pvc_size=`, `gpus=`, `env=`...), for the render tests:
each flag goes into the domain/deploy_values value it belongs to, as cli/commands/deploy does."""

from __future__ import annotations

from typing import Any

from kubectl_nim.domain.deploy_options import DeployOptions
from kubectl_nim.domain.deploy_values import (Compute, HardwareProfileRef, NimSettings, Scaling,
                                              Storage)

# flag-named field -> (the value it belongs to, the value's field)
FIELDS = {
    "pvc_size": ("storage", "size"), "storage_class": ("storage", "storage_class"),
    "existing_pvc": ("storage", "existing"), "pvc_subpath": ("storage", "subpath"),
    "gpus": ("compute", "gpus"), "cpu_request": ("compute", "cpu_request"),
    "cpu_limit": ("compute", "cpu_limit"), "memory_request": ("compute", "memory_request"),
    "memory_limit": ("compute", "memory_limit"),
    "min_replicas": ("scaling", "min_replicas"), "max_replicas": ("scaling", "max_replicas"),
    "deployment_mode": ("scaling", "mode"),
    "env": ("nim", "env"), "profile": ("nim", "profile"), "proxy": ("nim", "proxy"),
}
VALUES = {"storage": Storage, "compute": Compute, "scaling": Scaling, "nim": NimSettings}


def deploy_options(**fields: Any) -> DeployOptions:
    grouped: dict[str, dict[str, Any]] = {value: {} for value in VALUES}
    for flag in [f for f in fields if f in FIELDS]:
        value, attr = FIELDS[flag]
        grouped[value][attr] = fields.pop(flag)
    hardware = HardwareProfileRef.given(fields.pop("hardware_profile", None),
                                        fields.pop("hardware_profile_namespace", None))
    if hardware is not None:
        grouped["compute"]["hardware_profile"] = hardware
    made = {value: VALUES[value](**given) for value, given in grouped.items() if given}
    return DeployOptions(**fields, **made)

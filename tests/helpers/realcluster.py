"""What the real-server tier's tests share besides fixtures: the key they deploy with (the fake
NGC server's valid one), the model, a deploy, the keys of a deployment's two Secrets, and a
seeder that writes objects as the dashboard makes them."""

from __future__ import annotations

import base64
import json

from tests.fakes.ngc_fixtures import VALID_KEY

KEY = VALID_KEY
MODEL = "llama-3.1-8b-instruct"
NEW_KEY = "nvapi-rotated-key-0123"


class Seeder:
    """What tests/helpers/day2's seeders expect of a server, on the real one."""

    def __init__(self, real):
        self.real = real

    def put_object(self, obj):
        obj["metadata"]["namespace"] = self.real.ns
        self.real.create(obj, field_manager="odh-dashboard")  # as the dashboard made it


def secret_key(real, name, data_key="NGC_API_KEY"):
    secret = real.get("Secret", name)
    if secret is None:
        return None
    raw = base64.b64decode(secret["data"][data_key]).decode()
    return json.loads(raw)["auths"]["nvcr.io"]["password"] if data_key.startswith(".") else raw


def keys(real, name):
    return (secret_key(real, f"nvidia-nim-secrets-{name}"),
            secret_key(real, f"nvidia-nim-image-pull-{name}", ".dockerconfigjson"))


def deployed(real, name="c1", *extra):
    result = real.nim("deploy", name, "--model", MODEL, "--tag", "1.13.1", *extra)
    assert result.exit_code == 0, result.stderr
    return result

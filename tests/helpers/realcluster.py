"""What the real-server tier's tests share besides fixtures: the key they deploy with (the fake
NGC server's valid one) and the model."""

from __future__ import annotations

from tests.fakes.ngc_fixtures import VALID_KEY

KEY = VALID_KEY
MODEL = "llama-3.1-8b-instruct"

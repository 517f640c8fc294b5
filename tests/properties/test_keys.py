"""Key input, shape checks and the pull-secret content of docs/design.md#the-api-key
(kubectl_nim.domain.keys)."""

from __future__ import annotations

import base64
import io
import json

import click
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubectl_nim.cli.exit_status import ExitStatus, for_error
from kubectl_nim.cli import api_key
from kubectl_nim.domain import keys
from kubectl_nim import log
from kubectl_nim.environment import Environment
from kubectl_nim.errors import KeyRejected, UsageError

KEY = "nvapi-Abc123_def-456ghiJKL"

key_chars = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1,
                    max_size=80)
whitespace = st.text(" \t\r\n", max_size=5)
no_fixture_check = settings(suppress_health_check=[HealthCheck.function_scoped_fixture],
                            max_examples=60, deadline=None)


def read(api_key_file=None, environ=None, stdin="", interactive=False):
    env = Environment(environ=environ or {}, stdin=io.StringIO(stdin), stdin_isatty=interactive)
    return api_key.read_api_key(api_key_file, env)


# --- where the key comes from -------------------------------------------------------------

def test_key_file_is_read_stripped_and_registered(tmp_path):
    path = tmp_path / "key"
    path.write_text(f"  {KEY}\n\n")
    assert read(str(path)) == KEY
    assert log.redact(f"x{KEY}x") == f"x{log.REDACTED}x"


def test_dash_reads_standard_input():
    assert read("-", stdin=f"{KEY}\n") == KEY


def test_environment_variable():
    assert read(environ={"NGC_API_KEY": f" {KEY} "}) == KEY


def test_file_wins_over_environment(tmp_path):
    path = tmp_path / "key"
    path.write_text("nvapi-from-file")
    assert read(str(path), environ={"NGC_API_KEY": KEY}) == "nvapi-from-file"


def test_hidden_prompt_when_interactive():
    """The prompt is hidden and goes to stderr, so `-o json` stdout stays clean."""
    @click.command()
    def probe():
        click.echo(api_key.read_api_key(None, Environment(environ={}, stdin_isatty=True)) == KEY)

    result = CliRunner().invoke(probe, input=f"  {KEY}  \n")
    assert result.exit_code == 0
    assert result.stdout == "True\n"
    assert "NVIDIA API key" in result.stderr
    assert KEY not in result.output


def test_no_key_and_no_terminal_explains_the_three_ways():
    with pytest.raises(UsageError) as caught:
        read()
    text = str(caught.value)
    assert text.startswith("no NVIDIA API key given")
    for way in ("--api-key-file", "NGC_API_KEY", "prompt"):
        assert way in text


def test_interactive_defaults_to_stdin_being_a_terminal():
    class NotATerminal(io.StringIO):
        def isatty(self):
            return False

    with pytest.raises(UsageError, match="no NVIDIA API key given"):
        api_key.read_api_key(None, Environment(environ={}, stdin=NotATerminal()))


@pytest.mark.parametrize("source", ["file", "stdin", "env"])
def test_empty_key_is_refused(tmp_path, source):
    path = tmp_path / "key"
    path.write_text(" \n")
    with pytest.raises(UsageError, match="is empty"):
        if source == "file":
            read(str(path))
        elif source == "stdin":
            read("-", stdin="\n")
        else:
            read(environ={"NGC_API_KEY": "  "})


def test_missing_key_file_names_the_path(tmp_path):
    missing = tmp_path / "nope"
    with pytest.raises(UsageError) as caught:
        read(str(missing))
    assert str(caught.value) == f"cannot read the API key file {missing}: No such file or directory"


def test_directory_as_key_file(tmp_path):
    with pytest.raises(UsageError) as caught:
        read(str(tmp_path))
    assert str(caught.value) == f"cannot read the API key file {tmp_path}: Is a directory"


def test_binary_key_file_error_never_shows_the_content(tmp_path):
    path = tmp_path / "key"
    path.write_bytes(KEY.encode() + b"\xff\xfe")
    with pytest.raises(UsageError) as caught:
        read(str(path))
    assert str(caught.value) == f"the API key file {path} is not text"
    assert KEY not in repr(caught.value)


def test_huge_key_file_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "key"
    path.write_bytes(b"x" * (1024 * 1024))
    with pytest.raises(UsageError, match="too large"):
        read(str(path))


@no_fixture_check
@given(key=key_chars, before=whitespace, after=whitespace)
def test_surrounding_whitespace_is_stripped(key, before, after):
    assert read(environ={"NGC_API_KEY": before + key + after}) == key


# --- shape checks -------------------------------------------------------------------------

def test_personal_key_passes():
    assert keys.ensure_personal(KEY) == KEY


def test_legacy_key_is_refused_without_quoting_it():
    legacy = "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg"
    with pytest.raises(KeyRejected) as caught:
        keys.ensure_personal(legacy)
    assert for_error(caught.value) == ExitStatus.FAILURE
    assert "legacy" in str(caught.value) and "nvapi-" in str(caught.value)
    assert legacy not in str(caught.value) and legacy not in repr(caught.value)


@pytest.mark.parametrize("bad", ["nvapi-abc def", "nvapi-abc\nnvapi-def", "nvapi-é", "nvapi-\x00"])
def test_keys_that_cannot_be_a_header_are_refused(bad):
    with pytest.raises(KeyRejected, match="spaces, line breaks or non-ASCII") as caught:
        keys.ensure_personal(bad)
    assert bad not in str(caught.value)


# --- the pull secret ----------------------------------------------------------------------

def test_pull_secret_dockerconfig_matches_the_spec():
    assert keys.pull_secret_dockerconfig("nvapi-x") == {"auths": {"nvcr.io": {
        "username": "$oauthtoken", "password": "nvapi-x",
        "auth": base64.b64encode(b"$oauthtoken:nvapi-x").decode()}}}


@no_fixture_check
@given(key=key_chars)
def test_pull_secret_round_trip(key):
    config = json.loads(json.dumps(keys.pull_secret_dockerconfig(key)))
    entry = config["auths"]["nvcr.io"]
    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
    assert (user, password) == ("$oauthtoken", key) == (entry["username"], entry["password"])

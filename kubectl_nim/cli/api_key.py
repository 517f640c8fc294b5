"""Reading the NVIDIA API key (docs/design.md#the-api-key): from a file, standard input,
$NGC_API_KEY, or a prompt.

The key is registered with `log` the moment it is read, before anything could print it. It is
never taken from a command-line value (argv leaks to `ps` and shell history). Its shape and the
pull secret made from it are pure rules: `kubectl_nim.domain.keys`.
"""

from __future__ import annotations

from typing import IO, Optional

from kubectl_nim import log
from kubectl_nim.domain.keys import ENV_VAR
from kubectl_nim.environment import Environment
from kubectl_nim.errors import UsageError

# A key file is small; reading at most this much keeps `--api-key-file /dev/zero` from hanging.
_MAX_KEY_BYTES = 64 * 1024

_HOW = ("use --api-key-file PATH (- for stdin), set the NGC_API_KEY environment variable, "
        "or run in a terminal to be prompted")


def read_api_key(api_key_file: Optional[str], env: Environment, otherwise: str = "") -> str:
    """The key from `--api-key-file` (`-` = stdin), else $NGC_API_KEY, else a hidden prompt.

    The prompt only when stdin is a terminal (`env.stdin_isatty`): a CI job must fail with an
    explanation rather than wait for an answer nobody will type. Key-input problems are usage
    errors (exit 2) so that scripts can tell them from a key NVIDIA rejected (exit 1).
    `otherwise`: the verb's own way without a key, added to the hint (migrate's --reuse-key).
    """
    env = env.bind()
    environ, stdin = env.variables, env.stdin
    assert stdin is not None  # bind() fills every stream
    if api_key_file == "-":
        return _accept(_read_stream(stdin, "standard input"), "standard input")
    if api_key_file:
        return _accept(_read_file(api_key_file), f"file {api_key_file}")
    if ENV_VAR in environ:
        return _accept(environ[ENV_VAR], f"${ENV_VAR}")
    if env.stdin_isatty:
        return _accept(_prompt(), "the prompt")
    raise UsageError("no NVIDIA API key given", hint=f"{_HOW}; {otherwise}" if otherwise else _HOW)


def _accept(raw: str, source: str) -> str:
    """Register first, then check: even a key we refuse must never be printed."""
    key = raw.strip()
    log.register_secret(key)
    if not key:
        raise UsageError(f"the NVIDIA API key from {source} is empty", hint=_HOW)
    return key


def _read_file(path: str) -> str:
    try:
        with open(path, "rb") as f:
            data = f.read(_MAX_KEY_BYTES + 1)
    except OSError as e:
        # strerror only: never str(e) of something that could have read content into it.
        reason = e.strerror or type(e).__name__
        raise UsageError(f"cannot read the API key file {path}: {reason}") from None
    return _decode(data, f"the API key file {path}")


def _read_stream(stream: IO[str], source: str) -> str:
    try:
        data = stream.read(_MAX_KEY_BYTES + 1)
    except UnicodeDecodeError:
        raise UsageError(f"{source} is not text") from None
    return _decode(data, source) if isinstance(data, bytes) else _check_size(data, source)


def _decode(data: bytes, source: str) -> str:
    _check_size(data, source)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{source} is not text") from None


def _check_size(data, source: str):
    if len(data) > _MAX_KEY_BYTES:
        raise UsageError(f"{source} is too large to hold an API key")
    return data


def _prompt() -> str:
    import click

    # On stderr, so that `-o json` output on stdout stays parseable.
    return click.prompt("NVIDIA API key (nvapi-...)", hide_input=True, err=True)


def key_reader(api_key_file, env: Environment, otherwise: str = "", *,
               missing: UsageError | None = None, optional: bool = False):
    """How a use case gets a key when it needs one, the one way every verb reads it: never from
    argv, registered with `log` at once, personal keys only (`keys.ensure_personal` refuses a
    legacy one). `missing`: the error when none was given (default: read_api_key's).
    `optional`: no prompt, and None when neither --api-key-file nor $NGC_API_KEY gives one.
    `otherwise`: the verb's own way without a key, for the hint (migrate's --reuse-key)."""
    def read() -> str | None:
        from kubectl_nim.domain import keys

        if optional:
            if not (api_key_file or env.variables.get(ENV_VAR)):
                return None
        try:
            key = read_api_key(api_key_file, env.replace(stdin_isatty=False) if optional else env,
                               otherwise)
        except UsageError as e:
            if missing is not None and not (api_key_file or env.variables.get(ENV_VAR)):
                raise missing from None
            raise e
        return keys.ensure_personal(key)
    return read


def key_validator(skip_validation: bool, ngc_api_url: str, request_timeout, verb: str,
                  env: Environment):
    """The NVIDIA check of a key for a use case, or None with --skip-key-validation."""
    if skip_validation:
        return None

    def validate(key: str) -> None:
        from kubectl_nim.app import keycheck

        keycheck.validate(key, ngc_api_url, request_timeout, verb=verb, sleep=env.sleep)
    return validate

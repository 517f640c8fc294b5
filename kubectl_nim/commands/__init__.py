"""One module per verb. Modules import only click at load time, so `--help` stays fast."""


def COMMANDS():
    from kubectl_nim.commands import version, models, validate_key, config

    return [models.command, validate_key.command, config.command, version.command]

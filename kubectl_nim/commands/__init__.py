"""One module per verb. Modules import only click at load time, so `--help` stays fast."""


def COMMANDS():
    from kubectl_nim.commands import config, deploy, models, validate_key, version

    return [models.command, validate_key.command, deploy.command, config.command, version.command]

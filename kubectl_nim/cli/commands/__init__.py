"""One module per verb. Modules import only click at load time, so `--help` stays fast."""


def COMMANDS():
    from kubectl_nim.cli.commands import (catalog, completion, config, delete, deploy, list_cmd,
                                      migrate, models, rotate_key, validate_key, version)
    from kubectl_nim.cli.commands import diff, logs, report, smoke_test, status  # day-2, issue 13

    return [models.command, validate_key.command, deploy.command, list_cmd.command,
            rotate_key.command, delete.command, migrate.command, config.command,
            catalog.command, completion.command, version.command,
            status.command, logs.command, smoke_test.command, report.command, diff.command]

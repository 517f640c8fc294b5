"""`completion`: print a shell completion script (or kubectl's plugin-completion helper)."""

from __future__ import annotations

import click

from kubectl_nim.cli import completion

# Importing this module (the CLI does at start-up) puts our completion classes in click's
# registry, so `_KUBECTL_NIM_COMPLETE=bash_complete kubectl-nim` uses our completers.
completion.register()

CHOICES = (*completion.SHELLS, "kubectl-helper")


@click.command("completion")
@click.argument("shell", metavar="SHELL", type=click.Choice(CHOICES))
@click.pass_context
def command(ctx, shell):
    """Print the completion script of SHELL (bash, zsh, fish, powershell), or kubectl-helper.

    It completes verbs, options, model names and tags (from --catalog FILE, the embedded catalog,
    or the cluster's catalog when one is configured), deployment names and namespaces (from the
    cluster, with a 2 s timeout).  The script completes the executable `kubectl-nim`;
    `kubectl nim <TAB>` needs `kubectl completion SHELL` plus the helper that
    `completion kubectl-helper` prints, saved as an executable `kubectl_complete-nim` on PATH
    (Krew cannot install it).

    \b
    Examples:
      source <(kubectl nim completion bash)                    # bash, this shell
      kubectl nim completion zsh > "${fpath[1]}/_kubectl-nim"  # zsh
      kubectl nim completion fish > ~/.config/fish/completions/kubectl-nim.fish
      kubectl nim completion kubectl-helper > ~/.krew/bin/kubectl_complete-nim
      chmod +x ~/.krew/bin/kubectl_complete-nim                # then: kubectl nim <TAB>
    """
    root = ctx.find_root()
    executable = completion.executable_name(root.info_name or "kubectl-nim")
    click.echo(completion.script(shell, root.command, executable), nl=False)

from kubectl_nim.cli import main

main()

"""`python -m cli …` runs `gridtriage …`."""

from cli.app import main

main()

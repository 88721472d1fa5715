"""The command line, the roof of the house: `gridtriage` and its subcommands. Nothing imports it."""

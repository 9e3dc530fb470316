"""Console commands: `python -m chalicelib.cli <command>` (see --help)."""

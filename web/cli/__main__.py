"""`python -m web.cli` is the same as the `qbtransfer` command."""

from web.cli import main

main()

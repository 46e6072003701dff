"""`python -m critmin` runs the command line."""

from critmin.cli import main

main()

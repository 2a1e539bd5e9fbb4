"""`python -m gsomia`: the command line, as the `gsomia` script runs it."""

from gsomia.cli import main

main()

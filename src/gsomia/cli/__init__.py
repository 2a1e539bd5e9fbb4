"""The gsomia command line (`gsomia.cli.app`); `main` is the `gsomia` script."""


def main() -> None:
    """Entry point of the `gsomia` script."""
    from gsomia.cli.app import main as run

    run()

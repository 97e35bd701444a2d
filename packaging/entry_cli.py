"""PyInstaller entry point for the command line (``mergesmith``)."""

import sys

from mergesmith.cli.main import main

if __name__ == "__main__":
    sys.exit(main())

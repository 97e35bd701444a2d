"""PyInstaller entry point for the command line (``mergesmith``)."""

import sys

from mergesmith.core.cli import main

if __name__ == "__main__":
    sys.exit(main())

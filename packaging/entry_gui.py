"""PyInstaller entry point for the window (``mergesmith-gui``)."""

import sys

from mergesmith.gui.app import main

if __name__ == "__main__":
    sys.exit(main())

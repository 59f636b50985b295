#!/usr/bin/env python
"""Django's command-line utility; `pilotage` is the friendlier entry point."""

import sys

from pilotage.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))

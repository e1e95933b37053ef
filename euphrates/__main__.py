import sys

from euphrates.cli import main

sys.exit(main())

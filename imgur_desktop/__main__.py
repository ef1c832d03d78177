import sys

from imgur_desktop.cli import main

sys.exit(main())

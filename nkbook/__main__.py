import sys

from nkbook.build.cli import main

sys.exit(main())

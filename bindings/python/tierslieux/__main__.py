"""``python -m tierslieux`` is the ``tierslieux`` command."""
import sys

from .cli import main

sys.exit(main())

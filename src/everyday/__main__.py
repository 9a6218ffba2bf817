"""``python -m everyday`` = the ``everyday`` command."""

from .cli import main

main()

"""`python -m components.fleet`: the same tool as `cvm fleet` (its flags and run are in `command.py`)."""

from components.fleet.command import main

raise SystemExit(main())

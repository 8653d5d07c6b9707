"""`python -m components.preflight`: the same tool as `cvm preflight` (its flags and run are in `command.py`)."""

from components.preflight.command import main

raise SystemExit(main())

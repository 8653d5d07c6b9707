"""`python -m components.coder_template`: the same tool as `cvm coder-template` (its flags and run: `command.py`)."""

from components.coder_template.command import main

raise SystemExit(main())

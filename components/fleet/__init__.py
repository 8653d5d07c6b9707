"""The fleet command: every stack of this project at a glance, from one preview (or refresh preview) each.

core.py      which stacks, what one stack's run means, the table and the JSON (pure)
stacks.py    the stacks through the Automation API, and each canary through its cluster (I/O)
command.py   `cvm fleet` (or `python -m components.fleet`): the flags, the bounded parallel runs, the progress line
"""

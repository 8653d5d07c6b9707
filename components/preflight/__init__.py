"""Bare-metal preflight: every listed node checked against what Sysbox needs, before anything is installed.

On a cloud our node pools guarantee the OS, kernel and runtime; on bare metal nobody does, and a bad node
shows only when the Sysbox installer dies on it or kubelet does not come back after the installer restarts
it. Refused findings stop a bare-metal run before anything is applied; warned ones are logged.

    rules.py     what a Node reports in, findings out (pure)
    report.py    verdicts, the message that stops a run, the operator command's table (pure)
    command.py   `cvm preflight` (or `python -m components.preflight`): every node of a cluster with its verdict
"""

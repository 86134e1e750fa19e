"""Chaos, load and hostile input on the local rehearsal: proof that faults never lose a file.

`python -m chaos` (`make chaos`) runs the fault matrix, `python -m chaos.load` (`make load`) drops
many files at once. Both drive the real template, state machine and handlers through
`rehearsal.Rehearsal`; the faults are injected at the edges (the Wix emulator, botocore calls,
Lambda invocations) by `chaos.hooks`, never inside the product's code.
"""

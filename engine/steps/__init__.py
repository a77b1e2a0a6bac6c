"""A QBWC session as a pipeline of steps.

Each kind of work a session does is one step (`base.Step`): it builds its next qbXML request
from its own state and the session's context, and folds QuickBooks' answer into a new state.
The registry (`registry`) says which steps a session runs and in what order; the pipeline
(`pipeline`) decides which requests share a message, matches answers to steps and keeps every
step's state, typed and versioned, in the session's events. Adding a kind of work (paid dates,
a transfer type, inventory) means adding a step and registering it.
"""

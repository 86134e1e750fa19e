"""The AWS pipeline: importer, poller, executor and finalizer logic, their records and notifications.

Handlers in `functions/*/app.py` stay thin: they parse the event into a model from `models` and
call one logic function here; only `adapters/` touch boto3.
"""

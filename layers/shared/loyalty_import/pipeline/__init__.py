"""The AWS pipeline: four steps and what they share.

- `steps/`: one module per step (`importer`, `poller`, `executor`, `finalizer`), with the helpers
  only that step uses beside it (`steps/inspection.py`: the importer's adapter to the CSV inspection).
- shared by the steps: `transitions` (the one owner of the record's transitions: every change,
  the final status, the one notification), `models` (every boundary's pydantic models),
  `execution` (cross-check and execute once: importer and executor), `crosscheck`,
  `notifications` (what the message says), `results` (where reports go), `ports` (the interfaces
  the steps depend on), `errors`, `settings`, `clock`, `observability`, `wiring` (builds each
  function's dependencies).
- `adapters/`: the only modules that touch boto3 (DynamoDB, S3, SNS, Step Functions, Secrets Manager).

Handlers in `functions/*/app.py` stay thin: they parse the event into a model from `models` and
call one step function.
"""

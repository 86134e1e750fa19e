"""The AWS pipeline: four steps and what they share.

- `steps/`: one module per step (`importer`, `poller`, `executor`, `finalizer`), with the helpers
  only that step uses beside it (the importer's: `inspection`, its adapter to the CSV inspection;
  `dropped_file`, the per-file metadata controls, refusal report and Wix file name; `handover`,
  waiting for the parse, executing and starting the state machine).
- shared by the steps: `transitions` (the one owner of the record's transitions: every change,
  the final status, the one notification), `codes` (every refusal and error code and what it
  means), `models` (every boundary's pydantic models), `execution` (cross-check and execute once:
  importer and executor), `crosscheck`, `notifications` (what the message says), `results` (where
  reports go), `settings` (one model per function, built from shared pieces), `ports` (the
  interfaces the steps depend on), `errors`, `clock`, `observability`, `wiring` (builds each
  function's dependencies; the importer's idempotent service).
- `adapters/`: the only modules that touch boto3 (DynamoDB, S3, SNS, Step Functions, Secrets Manager).

Handlers in `functions/*/app.py` stay thin: they parse the event into a model from `models` and
call one step function.
"""

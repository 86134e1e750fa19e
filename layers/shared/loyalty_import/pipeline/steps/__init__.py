"""The four steps of an import, one module each, with the helpers only one step uses beside it.

`importer` (S3 event -> Wix import; beside it `inspection`, its adapter to the CSV inspection,
`dropped_file` and `handover`), `poller` (the state machine's Poll), `executor` (Execute),
`finalizer` (Finalize). What several steps share lives one level up, in `loyalty_import.pipeline`.
"""

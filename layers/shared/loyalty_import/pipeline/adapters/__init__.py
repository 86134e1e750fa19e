"""The edges: the only modules that touch boto3. Each takes an optional injected client (the test
seam) and creates its own lazily, so importing a handler does not import boto3's service models.
"""

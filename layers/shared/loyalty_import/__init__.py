"""Shared code of the loyalty-import Lambdas: the Wix client, CSV inspection and the pipeline logic.

Deployed as the `SharedLayer` Lambda layer (`/opt/python/loyalty_import`) and installed editable
into the development `.venv`, so tests import it exactly as the functions do.
"""

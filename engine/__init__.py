"""qbtransfer's engine: the domain and its rules. It knows nothing of Flask or HTTP."""

"""STS: ids, parameter validation, MFA, issued sessions and the operations. The Lab (engine/lab.py) is the façade."""

"""ACME's own orgops operations: each module here that declares OPERATION is one."""

"""The rules of the agreements as pure functions: no I/O, no database, no clock."""

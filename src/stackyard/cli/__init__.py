"""The ``stackyard`` command line: thin shells over the packages below it."""

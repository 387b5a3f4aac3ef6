"""Lambda entry points. Each module's ``handler`` only wires: settings from the environment, a
session, then a function that takes both and is tested directly."""

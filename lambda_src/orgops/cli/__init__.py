"""The operator CLI (``orgops``): run, watch and report the state machines, ``orgops local``,
``orgops new``. It depends on the runtime (``orgops``, ``orgops.handlers``, ``orgops.operations``),
never the other way round, and is not in the Lambda zip; ``orgops emulator`` needs the emulator
(``orgops.emulator``, moto), imported only when that command runs."""

from orgops.cli.app import main

__all__ = ["main"]

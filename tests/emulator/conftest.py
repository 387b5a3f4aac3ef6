"""The emulator's own tests: its refusals, seams, server and speed-ups answer as AWS (or moto) does."""

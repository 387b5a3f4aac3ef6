"""The Powertools settings are on every function's list of environment variables."""

from __future__ import annotations

from orgops import config, observability


def test_every_function_gets_the_powertools_settings_observability_reads() -> None:
    assert config.POWERTOOLS_ENV == observability.ENV
    for names in (config.FANOUT_ENV, config.WORKER_ENV, config.REPORT_ENV):
        assert [n for n in names if n.startswith("POWERTOOLS_")] == list(observability.ENV)

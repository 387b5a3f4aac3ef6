"""The guard on the moto/botocore internals the emulator patches (moto is pinned exactly)."""

from __future__ import annotations

import pytest
from moto.awslambda_simple.models import LambdaSimpleBackend
from moto.sts.models import STSBackend

from orgops.emulator import seams


def test_the_installed_moto_has_every_seam_the_emulator_relies_on() -> None:
    seams.check()


def test_a_seam_whose_signature_changed_fails_loudly_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    def invoke(self, function_name, qualifier, body, headers, response_headers, client_context=None):  # type: ignore[no-untyped-def]
        return b""

    monkeypatch.setattr(LambdaSimpleBackend, "invoke", invoke)

    with pytest.raises(seams.SeamChanged) as raised:
        seams.check()

    message = str(raised.value)
    assert "moto.awslambda_simple.models:LambdaSimpleBackend.invoke" in message
    assert "expected (self, function_name, qualifier, body, headers, response_headers)\n" in message
    assert "found    (self, function_name, qualifier, body, headers, response_headers, client_context=None)" in message
    assert "replaced to route Lambda invocations to the orgops handlers" in message
    assert "Update lambda_src/orgops/emulator/seams.py" in message


def test_a_seam_that_disappeared_fails_loudly_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(STSBackend, "get_caller_identity")

    with pytest.raises(seams.SeamChanged) as raised:
        seams.check()

    message = str(raised.value)
    assert "- moto.sts.models:STSBackend.get_caller_identity\n    expected (self, access_key_id, region)\n" in message
    assert "\n    found    missing (type object 'STSBackend' has no attribute 'get_caller_identity')\n" in message

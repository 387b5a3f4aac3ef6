"""The emulator's speed-ups (``orgops.emulator.speed``) answer exactly what moto's originals answer."""

from __future__ import annotations

import copy
import datetime
import importlib
import threading
from typing import Any

import pytest

from orgops.emulator import lambdas, seams, speed


# -- json_deepcopy ---------------------------------------------------------------------------------
def test_json_deepcopy_copies_a_json_value_that_mutating_the_copy_leaves_the_original_alone() -> None:
    original = {"Targets": [{"AccountId": "111111111111", "Regions": ["us-east-1"]}], "Count": 1, "Ok": None}

    copied = speed.json_deepcopy(original)
    copied["Targets"][0]["Regions"].append("eu-west-1")
    copied["Targets"].append({})
    copied["Count"] = 2

    assert original == {"Targets": [{"AccountId": "111111111111", "Regions": ["us-east-1"]}], "Count": 1, "Ok": None}
    assert copied == {
        "Targets": [{"AccountId": "111111111111", "Regions": ["us-east-1", "eu-west-1"]}, {}],
        "Count": 2,
        "Ok": None,
    }


class Recorded:
    """Not JSON: must be copied by ``copy.deepcopy`` (which calls this)."""

    def __init__(self, value: list[int]) -> None:
        self.value = value
        self.copies = 0

    def __deepcopy__(self, memo: dict[int, Any]) -> Recorded:
        self.copies += 1
        return Recorded(copy.deepcopy(self.value, memo))


def test_json_deepcopy_hands_anything_else_to_copy_deepcopy() -> None:
    inner = Recorded([1, 2])
    when = datetime.datetime(2026, 11, 25, tzinfo=datetime.UTC)
    original = {"object": inner, "when": when, "tuple": ([1],)}

    copied = speed.json_deepcopy(original)

    assert inner.copies == 1
    assert copied["object"] is not inner and copied["object"].value == [1, 2]
    assert copied["when"] == when
    assert copied["tuple"] == ([1],) and copied["tuple"][0] is not original["tuple"][0]


def test_the_interpreter_modules_get_the_json_copy_and_keep_every_other_copy_function() -> None:
    router = seams.install()
    seams.uninstall(router)  # the patches stay; the emulator's behaviour must not leak into other tests

    for name in speed.JSON_COPY_IMPORTERS:
        assert importlib.import_module(name).copy is speed.JSON_COPY, name
    assert speed.JSON_COPY.deepcopy is speed.json_deepcopy
    assert speed.JSON_COPY.copy is copy.copy


# -- indexed_account_lookup ------------------------------------------------------------------------
class FakeIAM:
    def __init__(self, keys: set[str]) -> None:
        self.access_keys = dict.fromkeys(keys)


def test_account_lookup_answers_as_the_original_and_scans_once_per_key() -> None:
    backends = {"111111111111": {"aws": FakeIAM({"AKIA1"}), "aws-cn": FakeIAM(set())}}
    scans: list[str] = []

    def original(access_key: str) -> str:  # moto's scan, reduced to its answers
        scans.append(access_key)
        for account_id, account in backends.items():
            if any(access_key in account[p].access_keys for p in ("aws", "aws-cn")):
                return account_id
        return "123456789012"

    lookup = speed.indexed_account_lookup(original, backends, ("aws", "aws-cn"))

    assert [lookup("AKIA1") for _ in range(3)] == ["111111111111"] * 3
    assert scans == ["AKIA1"]
    # An unknown key is not remembered: once created, it is found.
    assert lookup("AKIA2") == "123456789012"
    backends["111111111111"]["aws"].access_keys["AKIA2"] = None
    assert lookup("AKIA2") == "111111111111"
    # A deleted key is not answered from the index.
    del backends["111111111111"]["aws"].access_keys["AKIA1"]
    assert lookup("AKIA1") == "123456789012"
    assert scans == ["AKIA1", "AKIA2", "AKIA2", "AKIA1"]


# -- known_account_first ---------------------------------------------------------------------------
def test_a_known_account_skips_moto_s_registration_and_an_unknown_one_gets_it() -> None:
    calls: list[str] = []

    def original(self: dict[str, Any], account_id: str) -> None:
        calls.append(account_id)
        self[account_id] = object()

    create = speed.known_account_first(original)
    backends: dict[str, Any] = {}

    for account_id in ("111111111111", "111111111111", "222222222222", "111111111111"):
        create(backends, account_id)

    assert calls == ["111111111111", "222222222222"]
    backends.clear()  # what moto's reset does
    create(backends, "111111111111")
    assert calls == ["111111111111", "222222222222", "111111111111"]


# -- cached_urls -------------------------------------------------------------------------------------
class FakeBackend:
    built = 0

    @property
    def urls(self) -> dict[str, str]:
        type(self).built += 1
        return {"https://example.amazonaws.com/{0}": "handler"}


def test_urls_are_built_once_per_class_only_while_an_emulator_is_active(monkeypatch: pytest.MonkeyPatch) -> None:
    cached = speed.cached_urls(FakeBackend.__dict__["urls"])
    monkeypatch.setattr(FakeBackend, "urls", cached)
    monkeypatch.setattr(FakeBackend, "built", 0)
    monkeypatch.delenv("MOTO_S3_CUSTOM_ENDPOINTS", raising=False)

    monkeypatch.setattr(lambdas, "active", lambda: None)
    assert [FakeBackend().urls for _ in range(2)] == [{"https://example.amazonaws.com/{0}": "handler"}] * 2
    assert FakeBackend.built == 2

    monkeypatch.setattr(lambdas, "active", lambda: object())
    assert [FakeBackend().urls for _ in range(3)] == [{"https://example.amazonaws.com/{0}": "handler"}] * 3
    assert FakeBackend.built == 3
    monkeypatch.setenv("MOTO_S3_CUSTOM_ENDPOINTS", "https://s3.example.test")
    FakeBackend().urls  # noqa: B018 - the property's side effect is what is counted
    assert FakeBackend.built == 4


# -- cached_boto_client_for --------------------------------------------------------------------------
def test_concurrent_first_requests_for_a_client_build_it_once() -> None:
    built: list[str] = []
    gate = threading.Barrier(16)

    def original(region: str, service: str, state_credentials: Any = None) -> object:
        built.append(service)
        return object()

    boto_client_for = speed.cached_boto_client_for(original)
    found: list[object] = []

    def ask() -> None:
        gate.wait()
        found.append(boto_client_for(region="us-east-1", service="dynamodb"))

    threads = [threading.Thread(target=ask) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert built == ["dynamodb"]
    assert len(found) == 16 and len({id(c) for c in found}) == 1

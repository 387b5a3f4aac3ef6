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

    keys = speed.Counter()
    lookup = speed.indexed_account_lookup(original, backends, ("aws", "aws-cn"), keys)

    assert [lookup("AKIA1") for _ in range(3)] == ["111111111111"] * 3
    assert scans == ["AKIA1"]
    # A key found nowhere keeps the original's answer until IAM creates a key; then it is found.
    assert [lookup("testing") for _ in range(3)] == ["123456789012"] * 3
    assert scans == ["AKIA1", "testing"]
    backends["111111111111"]["aws"].access_keys["testing"] = None
    keys.bump()
    assert lookup("testing") == "111111111111"
    # A deleted key is not answered from the index.
    del backends["111111111111"]["aws"].access_keys["AKIA1"]
    assert lookup("AKIA1") == "123456789012"
    assert scans == ["AKIA1", "testing", "testing", "AKIA1"]


def test_iam_counts_every_access_key_it_creates() -> None:
    from moto.iam.models import IAMBackend

    seams.uninstall(seams.install())
    before = speed.KEYS.value
    iam = IAMBackend("aws", account_id="111111111111")
    iam.create_user(region_name="us-east-1", user_name="someone", path="/", tags=None)
    iam.create_access_key("someone")
    iam.create_temp_access_key()

    assert speed.KEYS.value == before + 2


# -- known_account_first ---------------------------------------------------------------------------
class Backends(dict[str, Any]):
    """A BackendDict's shape: a dict with attributes."""


class Registration:
    """``known_account_first`` around a stand-in for moto's original that records its calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.resets = speed.Counter()
        self.backends = Backends()
        self.create = speed.known_account_first(self.original, self.resets)

    def original(self, backends: dict[str, Any], account_id: str) -> None:
        self.calls.append(account_id)
        backends.setdefault(account_id, object())

    def lookup(self, *account_ids: str) -> None:
        for account_id in account_ids:
            self.create(self.backends, account_id)


def test_a_known_account_skips_moto_s_registration_and_an_unknown_one_gets_it() -> None:
    r = Registration()

    r.lookup("111111111111", "111111111111", "222222222222", "111111111111")
    assert r.calls == ["111111111111", "222222222222"]

    r.backends.clear()  # what moto's reset does to the dicts it has registered
    r.lookup("111111111111")
    assert r.calls == ["111111111111", "222222222222", "111111111111"]


def test_after_a_reset_a_dict_that_kept_an_account_goes_through_moto_again() -> None:
    # A thread still running when the reset came re-added an account; the reset then emptied the
    # registry: moto's original must see the dict again to register it.
    r = Registration()
    r.lookup("111111111111")

    r.resets.counting(lambda: None)()  # a counted BackendDict.reset
    r.lookup("111111111111", "111111111111")

    assert r.resets.value == 1
    assert r.calls == ["111111111111", "111111111111"]


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


# -- memoised_dict_keys --------------------------------------------------------------------------------
def test_serialiser_picks_the_same_values_from_dicts_as_moto_s_picker_and_asks_the_aliases_once() -> None:
    from botocore.model import StructureShape
    from moto.core import serialize
    from moto.core.utils import MISSING, get_value

    original = serialize.AttributePicker.__dict__["__call__"]
    original = getattr(original, "orgops_wrapped", original)
    shape = StructureShape("Item", {"type": "structure", "members": {"S": {"shape": "S"}, "N": {"shape": "N"}}})
    asked: list[str] = []

    class CountingPicker(serialize.XFormedAttributePicker):
        def get_possible_keys(self, context: Any) -> Any:
            asked.append(context.key)
            return super().get_possible_keys(context)

    picker = CountingPicker()
    fast = speed.memoised_dict_keys(original, get_value, MISSING)

    def context(obj: Any, key: str) -> Any:
        return serialize.AttributePickerContext(
            obj=obj, key=key, shape=shape, operation_model=None, service_model=None, key_path=""
        )

    values = [{"S": "a"}, {"N": "1"}, {"s": "snake"}, {}, {"S": None}]
    for obj in values:
        for key in ("S", "N"):
            assert fast(picker, context(obj, key)) == original(picker, context(obj, key)), (obj, key)
    # Each (shape, key) asked its aliases once through the memo (the original asks every time).
    assert asked.count("S") == 1 + len(values) and asked.count("N") == 1 + len(values)

    class NotADict:
        S = "attribute"

    assert fast(picker, context(NotADict(), "S")) == "attribute"
    assert asked.count("S") == 2 + len(values)  # other objects go to the original


# -- memoised_asl_tree ----------------------------------------------------------------------------------
def test_a_definition_is_parsed_once_and_each_execution_gets_its_own_components() -> None:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser, ASLParserException
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    original = getattr(AmazonStateLanguageParser.parse, "orgops_wrapped", AmazonStateLanguageParser.parse)
    parses: list[str] = []

    def counting(definition: str) -> Any:
        parses.append(definition)
        return original(definition)

    parse = speed.memoised_asl_tree(counting, Preprocessor)
    definition = '{"StartAt": "Done", "States": {"Done": {"Type": "Pass", "Result": {"n": 1}, "End": true}}}'

    first, tree = parse(definition)
    second, same_tree = parse(definition)

    assert parses == [definition]
    assert same_tree is tree
    assert first is not second and type(first) is type(second)
    with pytest.raises(ASLParserException):
        parse('{"StartAt": "Missing", "States": {}')
    with pytest.raises(ASLParserException):
        parse('{"StartAt": "Missing", "States": {}')
    assert len(parses) == 3  # errors are not remembered

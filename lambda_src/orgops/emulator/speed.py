"""Emulator overhead removed: what made a state machine in moto slower than the work it runs.

Measured with yappi (CPU clock) on one execution of 42 targets, before these changes: creating
botocore clients was a third of the CPU (moto's ASL interpreter builds a new boto3 client for
every Task state, and every client rebuilds its class: ~25 ms for EC2), and JSONPath parsing
another sixth (the interpreter re-parses every path on every evaluation, building a yacc parser
each time: ~5 ms). So:

- ``boto_client_for`` (moto's ASL interpreter) returns one cached client per (region, service,
  endpoint): botocore clients are thread-safe;
- the interpreter's JSONPath ``parse`` is memoised by expression (parsed paths are immutable);
- botocore client *classes* and *service models* are memoised per service for sessions that
  share orgops's service-model loader (``orgops.sessions.new_session``: all boto3 sessions, so
  the same class customisations); clients, credentials and configuration stay per session;
- a new botocore session cost ~100 ms (each of its ~130 built-in handlers is checked with
  ``inspect.getfullargspec`` and its event name aliased): the check is memoised per function and
  the alias cache shared between sessions using the default aliases;
- endpoint rule sets are compiled once per service (``EndpointProvider`` is stateless);
- moto lists a response class's methods (``inspect.getmembers``) on every request: memoised;
- moto caches each service's model and request router (``functools.cache``) but without a lock:
  the first Map of 40 workers built the same router 40 times at once (~1 s of CPU each, the
  demo's slowest minute); those lookups are made single-flight;
- the interpreter deep-copies each state's input, its result and the Map's whole input for every
  iteration with ``copy.deepcopy`` (a third of the CPU of a 200-target inline Map, growing with the
  square of the target count): its modules get a ``copy`` whose ``deepcopy`` copies JSON values
  (dicts, lists, scalars) directly and hands anything else to ``copy.deepcopy``;
- moto finds the account of every request's access key by scanning every account's IAM backend
  (``get_account_id_from``: O(accounts) per request, creating backends on the way; a sixth of the
  CPU with 500 accounts, mostly for the default credentials, found nowhere): an index from key to
  account answers repeated keys, checked against the backend on every hit, and a key found nowhere
  keeps its answer until IAM creates another access key;
- every ``backends[account_id]`` lookup (several per request) lists the dict's keys and compares
  the dict with every registered service (``_create_account_specific_backend``: a tenth of the
  CPU): an account already there returns at once when moto's original registered the dict since
  the last ``BackendDict.reset`` (counted);
- moto's request router rebuilds every service's URL table on every request (``BaseBackend.urls``,
  and S3 reloads its ``urls`` module each time to do it): while an emulator is active the table
  is kept per backend class and the environment variables that change it;
- an inline Map iteration leaves the whole Map input at the bottom of its stack after the
  ItemSelector has read it, and every Task state in the iteration deep-copies that stack: copies
  that grow with the square of the target count (most of a 2,000-target inline run's CPU). The
  input is dropped from the iteration's stack once the selector's output is on top of it (nothing
  reads below the top; the iteration's states take their input from the selector's output);
- moto's response serialiser finds each member of each value through a chain of six alias
  providers (``AttributePicker``): for a DynamoDB Query of 200 items, ~2,000 AttributeValues x 10
  members, most of the report Lambda's CPU in the emulator. For plain dicts the candidate keys
  depend only on the picker, the shape, its parent and the key: they are memoised on those;
- moto parses a state machine's definition with ANTLR on every execution (~0.1 s): the parse tree
  is kept per definition text (an LRU) and the evaluation components are built anew from it each
  time, as moto does, so no execution shares state with another;
- while an emulator is active, a boto3 session that uses orgops's loader hands out one client
  per (service, region, endpoint, config) instead of building a new one on every
  ``session.client()`` (~30 ms each): the handlers build clients per call, and in the emulator
  every Lambda shares two cores. Clients are thread-safe; credentials are the session's.

After: ~70% less CPU per target (see the README's emulator section for the numbers).

Installed by ``seams.install``; each patch is guarded there.
"""

from __future__ import annotations

import copy
import functools
import importlib
import os
import threading
import types
from typing import Any

# The ASL interpreter's modules that imported ``boto_client_for`` by name.
BOTO_CLIENT_IMPORTERS = (
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.item_reader.eval.resource_eval_s3",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_unsupported",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_glue",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_events",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_ecs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sqs",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_dynamodb",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_batch",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_aws_sdk",
)
# The ASL interpreter's modules that ``import copy`` to deep-copy JSON state data.
JSON_COPY_IMPORTERS = (
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
    "moto.stepfunctions.parser.asl.component.common.string.string_expression",
    "moto.stepfunctions.parser.asl.component.intrinsic.function.statesfunction.json_manipulation.json_merge",
    "moto.stepfunctions.parser.asl.component.state.exec.execute_state",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.job",
    "moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map",
    "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.state_parallel",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.mock_eval_utils",
    "moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service",
    "moto.stepfunctions.parser.asl.eval.environment",
    "moto.stepfunctions.parser.asl.eval.event.event_manager",
    "moto.stepfunctions.parser.asl.eval.states",
)
JSONPATH_IMPORTERS = (
    "moto.stepfunctions.parser.asl.utils.json_path",
    "moto.stepfunctions.parser.asl.component.common.path.result_path",
)


def cached_boto_client_for(original: Any) -> Any:
    cache: dict[tuple[str, str, bool, str], Any] = {}
    lock = threading.Lock()

    @functools.wraps(original)
    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        from moto.core.models import botocore_stubber
        from moto.settings import moto_server_port

        key = (region, service, bool(botocore_stubber.enabled), moto_server_port())
        found = cache.get(key)
        if found is None:
            with lock:  # single flight: the first Map wave asks for the same client 40 times at once
                found = cache.get(key)
                if found is None:
                    found = cache[key] = original(region=region, service=service, state_credentials=state_credentials)
        return found

    boto_client_for.orgops_wrapped = original  # type: ignore[attr-defined]
    return boto_client_for


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def json_deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
    """``copy.deepcopy`` for JSON values, ~10x faster: dicts and lists are rebuilt, scalars shared
    (immutable); any other type, and everything inside it, goes to ``copy.deepcopy``. Unlike
    ``copy.deepcopy``, an object referenced twice inside a JSON value is copied twice: state data
    is a tree, and the interpreter treats it as values."""
    kind = type(value)
    if kind in _JSON_SCALARS:
        return value
    if kind is dict:
        return {k: json_deepcopy(v) for k, v in value.items()}
    if kind is list:
        return [json_deepcopy(v) for v in value]
    return copy.deepcopy(value, memo)


# What the interpreter's modules see as ``copy``: the module's functions, with the fast deepcopy.
JSON_COPY = types.SimpleNamespace(**{**vars(copy), "deepcopy": json_deepcopy})


def install_json_copy() -> None:
    for name in JSON_COPY_IMPORTERS:
        module = importlib.import_module(name)
        if module.copy is not copy:  # type: ignore[attr-defined]
            raise RuntimeError(f"{name}.copy is not the copy module: update orgops.emulator.speed")
        module.copy = JSON_COPY  # type: ignore[attr-defined]


class Counter:
    """Counts calls of the functions ``counting`` wraps: a cache keyed on it goes stale when they run.

    ``KEYS`` counts IAM's two key-creating methods (an access key found in no account stays unknown
    until it changes); ``RESETS`` counts ``BackendDict.reset`` (which empties moto's registry)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.value = 0

    def bump(self) -> None:
        with self._lock:
            self.value += 1

    def counting(self, original: Any) -> Any:
        @functools.wraps(original)
        def counted(*args: Any, **kwargs: Any) -> Any:
            try:
                return original(*args, **kwargs)
            finally:
                self.bump()

        counted.orgops_wrapped = original  # type: ignore[attr-defined]
        return counted


KEYS = Counter()
RESETS = Counter()


def indexed_account_lookup(original: Any, backends: Any, partitions: tuple[str, ...], keys: Counter = KEYS) -> Any:
    """``get_account_id_from(access_key)`` answered from what earlier calls found.

    A key found in an account is checked against that account's IAM backend on every hit (a deleted
    key goes back to the scan). A key found nowhere (the default credentials, for one) gets the
    original's answer again until IAM creates any access key: answers are the original's."""
    index: dict[str, tuple[str, str]] = {}
    unknown: dict[str, tuple[int, str]] = {}  # key -> (key generation when found nowhere, answer)

    @functools.wraps(original)
    def get_account_id_from(access_key: str) -> str:
        hit = index.get(access_key)
        if hit is not None:
            account_id, partition = hit
            if access_key in backends[account_id][partition].access_keys:
                return account_id
            index.pop(access_key, None)
        generation = keys.value
        missed = unknown.get(access_key)
        if missed is not None and missed[0] == generation:
            return missed[1]
        account_id = str(original(access_key))
        for partition in partitions if account_id in backends else ():
            if access_key in backends[account_id][partition].access_keys:
                index[access_key] = (account_id, partition)
                break
        else:
            unknown[access_key] = (generation, account_id)
        return account_id

    get_account_id_from.orgops_wrapped = original  # type: ignore[attr-defined]
    return get_account_id_from


def known_account_first(original: Any, resets: Counter = RESETS) -> Any:
    """``BackendDict._create_account_specific_backend``: nothing to do for an account already in
    the dict if moto's original registered the dict since the last reset (a thread still running
    after a reset can re-add an account to a dict that the reset just dropped from the registry;
    moto re-registers it on its next lookup, and so does this)."""

    @functools.wraps(original)
    def _create_account_specific_backend(self: Any, account_id: str) -> None:
        if dict.__contains__(self, account_id) and self.__dict__.get("_orgops_registered") == resets.value:
            return
        registered = resets.value  # read first: a reset during the call leaves it stale, and checked again
        original(self, account_id)
        self.__dict__["_orgops_registered"] = registered

    _create_account_specific_backend.orgops_wrapped = original  # type: ignore[attr-defined]
    return _create_account_specific_backend


# Environment variables that change moto's URL tables (S3 custom endpoints, ISO regions).
URL_ENV = ("MOTO_S3_CUSTOM_ENDPOINTS", "MOTO_ENABLE_ISO_REGIONS")


def cached_urls(original: property) -> property:
    cache: dict[tuple[Any, ...], dict[str, Any]] = {}
    lock = threading.Lock()
    build: Any = original.fget

    def urls(self: Any) -> dict[str, Any]:
        from orgops.emulator import lambdas

        if lambdas.active() is None:  # no emulator: moto as it is
            return build(self)  # type: ignore[no-any-return]
        key = (type(self), *(os.environ.get(name, "") for name in URL_ENV))
        found = cache.get(key)
        if found is None:
            with lock:
                found = cache.setdefault(key, build(self))
        return found

    urls.orgops_wrapped = original  # type: ignore[attr-defined]
    return property(urls, doc=original.__doc__)


def map_input_dropped(original: Any) -> Any:
    """``InlineItemProcessorWorker._eval_input``, then the Map input removed from under the
    ItemSelector's output on the iteration's stack."""

    @functools.wraps(original)
    def _eval_input(self: Any, env_frame: Any) -> None:
        map_state_input = self._env.stack[-1] if self._env.stack else None
        original(self, env_frame)
        stack = env_frame.stack
        if map_state_input is not None and len(stack) >= 2 and stack[-2] is map_state_input:
            del stack[-2]

    _eval_input.orgops_wrapped = original  # type: ignore[attr-defined]
    return _eval_input


def memoised_dict_keys(original: Any, get_value: Any, missing: Any, size: int = 4096) -> Any:
    """``AttributePicker.__call__``: for a plain ``dict`` (no ``Meta``, class name ``dict``), the
    candidate keys the alias providers yield are a function of the picker, shape, parent and key."""
    from collections import OrderedDict

    cache: OrderedDict[tuple[Any, ...], tuple[Any, Any, tuple[str, ...]]] = OrderedDict()
    lock = threading.Lock()

    @functools.wraps(original)
    def __call__(self: Any, context: Any) -> Any:
        obj = context.obj
        if type(obj) is not dict:
            return original(self, context)
        shape = context.shape
        parent = getattr(shape, "parent", None)
        key = (type(self), id(self.alias_providers), id(shape), id(parent), context.key)
        with lock:
            hit = cache.get(key)
        if hit is not None and hit[0] is shape and hit[1] is parent:
            keys = hit[2]
        else:
            keys = tuple(self.get_possible_keys(context))
            with lock:
                cache[key] = (shape, parent, keys)  # keeps both alive: their ids stay theirs
                while len(cache) > size:
                    cache.popitem(last=False)
        value = None
        for possible_key in keys:
            found = get_value(obj, possible_key, missing)
            if found is not missing:
                value = found
                break
        if self.response_transformers:
            key_path = f"{context.key_path}.{context.key}"
            for transform_path, transform in self.response_transformers.items():
                if key_path.endswith(transform_path):
                    return transform(value)
        return value

    __call__.orgops_wrapped = original  # type: ignore[attr-defined]
    return __call__


def memoised_asl_tree(original: Any, preprocessor: Any, size: int = 64) -> Any:
    """``AmazonStateLanguageParser.parse``: the ANTLR tree kept per definition, the components
    (which executions evaluate) built anew by moto's ``Preprocessor`` on every call."""
    trees = functools.lru_cache(maxsize=size)(lambda definition: original(definition)[1])

    @functools.wraps(original)
    def parse(definition: str) -> tuple[Any, Any]:
        tree = trees(definition)
        return preprocessor().visit(tree), tree

    parse.orgops_wrapped = original  # type: ignore[attr-defined]
    return parse


def memoised_parse(original: Any) -> Any:
    cached = functools.lru_cache(maxsize=4096)(original)

    @functools.wraps(original)
    def parse(path: str, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return original(path, *args, **kwargs)
        return cached(path)

    parse.orgops_wrapped = original  # type: ignore[attr-defined]
    return parse


def memoised_for_loader(original: Any, loader: Any, key: Any) -> Any:
    """A ``ClientCreator`` method memoised on ``key(*args)`` for creators that use ``loader``
    (orgops's sessions share it, so the same class customisations); others call the original."""
    cache: dict[tuple[Any, ...], Any] = {}
    lock = threading.Lock()

    @functools.wraps(original)
    def method(self: Any, *args: Any) -> Any:
        if getattr(self, "_loader", None) is not loader:
            return original(self, *args)
        k = key(*args)
        with lock:
            found = cache.get(k)
        if found is None:
            found = original(self, *args)
            with lock:
                found = cache.setdefault(k, found)
        return found

    method.orgops_wrapped = original  # type: ignore[attr-defined]
    return method


def memoised_client_class(original: Any, loader: Any) -> Any:
    return memoised_for_loader(original, loader, lambda name, model: (name, str(model.api_version)))


def memoised_load_service_model(original: Any, loader: Any) -> Any:
    return memoised_for_loader(original, loader, lambda name, api_version=None: (name, api_version))


def memoised_accepts_kwargs(original: Any) -> Any:
    import inspect
    import weakref

    known: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()  # closures die with their sessions

    @functools.wraps(original)
    def accepts_kwargs(func: Any) -> bool:
        if not inspect.isfunction(func):  # bound methods are new objects each time: not cached
            return bool(original(func))
        found = known.get(func)
        if found is None:
            found = known[func] = bool(original(func))
        return found

    accepts_kwargs.orgops_wrapped = original  # type: ignore[attr-defined]
    return accepts_kwargs


def shared_alias_cache(original_init: Any, default_aliases: Any) -> Any:
    shared: dict[str, str] = {}

    @functools.wraps(original_init)
    def __init__(self: Any, event_emitter: Any, event_aliases: Any = None) -> None:
        original_init(self, event_emitter, event_aliases)
        if self._event_aliases is default_aliases:
            self._alias_name_cache = shared

    __init__.orgops_wrapped = original_init  # type: ignore[attr-defined]
    return __init__


def cached_endpoint_provider(original_cls: Any, size: int = 64) -> Any:
    """One provider per rule set, for the ``size`` rule sets used last (sessions that do not share
    orgops's loader load their own copies: an unbounded cache would keep every copy alive)."""
    from collections import OrderedDict

    providers: OrderedDict[tuple[int, int, frozenset[str]], tuple[Any, Any]] = OrderedDict()
    lock = threading.Lock()

    def EndpointProvider(ruleset_data: Any, partition_data: Any, excluded_params: Any = None) -> Any:
        key = (id(ruleset_data), id(partition_data), frozenset(excluded_params or ()))
        with lock:
            found = providers.get(key)
            if found is not None and found[0] is ruleset_data:
                providers.move_to_end(key)
                return found[1]
        provider = original_cls(
            ruleset_data=ruleset_data, partition_data=partition_data, excluded_params=excluded_params
        )
        with lock:
            providers[key] = (ruleset_data, provider)  # keeps ruleset_data alive: its id stays unique
            while len(providers) > size:
                providers.popitem(last=False)
        return provider

    EndpointProvider.orgops_wrapped = original_cls  # type: ignore[attr-defined]
    return EndpointProvider


def memoised_method_names(original: Any) -> Any:
    names: dict[type, list[str]] = {}

    @functools.wraps(original)
    def method_names_from_class(clazz: Any) -> list[str]:
        found = names.get(clazz)
        if found is None:
            found = names[clazz] = list(original(clazz))
        return list(found)

    method_names_from_class.orgops_wrapped = original  # type: ignore[attr-defined]
    return method_names_from_class


def cached_session_client(original: Any, loader: Any) -> Any:
    lock = threading.Lock()

    @functools.wraps(original)
    def client(self: Any, service_name: str, region_name: str | None = None, *args: Any, **kwargs: Any) -> Any:
        from orgops.emulator import lambdas

        cacheable = (
            not args
            and lambdas.active() is not None
            and not any(kwargs.get(k) for k in ("aws_access_key_id", "aws_session_token", "api_version"))
            and self._session.get_component("data_loader") is loader
        )
        if not cacheable:
            return original(self, service_name, region_name, *args, **kwargs)
        region = region_name or self.region_name
        key = (service_name, region, kwargs.get("endpoint_url"), id(kwargs.get("config")), kwargs.get("verify"))
        cache = self.__dict__.setdefault("_orgops_clients", {})
        with lock:
            found = cache.get(key)
        if found is None:
            found = original(self, service_name, region_name, **kwargs)
            with lock:
                found = cache.setdefault(key, found)
        return found

    client.orgops_wrapped = original  # type: ignore[attr-defined]
    return client


def single_flight(original: Any) -> Any:
    """Serialise calls of a cached function, so that concurrent first calls build once."""
    lock = threading.RLock()

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with lock:
            return original(*args, **kwargs)

    wrapper.orgops_wrapped = original  # type: ignore[attr-defined]
    return wrapper


# (module, attribute) pairs holding moto's cached model and router lookups.
MOTO_CACHED_LOOKUPS = (
    ("moto.core.utils", "get_service_model"),
    ("moto.core.utils", "get_pagination_model"),
    ("moto.core.routing", "get_service_router"),
)
MOTO_LOOKUP_IMPORTERS = (
    ("moto.core.routing", "get_service_model"),
    ("moto.core.responses", "get_service_model"),
    ("moto.core.responses", "get_service_router"),
    ("moto.core.responses", "get_pagination_model"),
)


def install_single_flight() -> None:
    replaced: dict[str, Any] = {}
    for module_name, attr in MOTO_CACHED_LOOKUPS:
        module = importlib.import_module(module_name)
        replaced[attr] = single_flight(getattr(module, attr))
        setattr(module, attr, replaced[attr])
    for module_name, attr in MOTO_LOOKUP_IMPORTERS:
        setattr(importlib.import_module(module_name), attr, replaced[attr])
    routing = importlib.import_module("moto.core.routing")
    routing.ServiceOperationRouter._get_router = single_flight(routing.ServiceOperationRouter._get_router)


def install() -> None:
    """Apply the three speed-ups (once per process: ``seams.install`` calls this under its lock)."""
    import botocore.client
    import botocore.hooks
    import botocore.regions

    from orgops import sessions

    boto_client = importlib.import_module("moto.stepfunctions.parser.asl.utils.boto_client")
    fast = cached_boto_client_for(boto_client.boto_client_for)
    boto_client.boto_client_for = fast
    for name in BOTO_CLIENT_IMPORTERS:
        module = importlib.import_module(name)
        if hasattr(module, "boto_client_for"):
            module.boto_client_for = fast
    install_single_flight()
    install_json_copy()
    base_backend = importlib.import_module("moto.core.base_backend")
    backend_dict = base_backend.BackendDict
    base = base_backend.BaseBackend
    if not isinstance(base.__dict__.get("urls"), property):
        raise RuntimeError(
            "moto.core.base_backend.BaseBackend.urls is no longer a property: update orgops.emulator.speed"
        )
    base.urls = cached_urls(base.__dict__["urls"])  # type: ignore[assignment]
    inline_worker = importlib.import_module(
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.inline_item_processor_worker"
    ).InlineItemProcessorWorker
    inline_worker._eval_input = map_input_dropped(inline_worker._eval_input)
    serialize = importlib.import_module("moto.core.serialize")
    picker = serialize.AttributePicker
    picker.__call__ = memoised_dict_keys(picker.__call__, serialize.get_value, serialize.MISSING)
    asl_parser = importlib.import_module("moto.stepfunctions.parser.asl.parse.asl_parser")
    parser_cls = asl_parser.AmazonStateLanguageParser
    parser_cls.parse = staticmethod(memoised_asl_tree(parser_cls.parse, asl_parser.Preprocessor))
    counted_reset = RESETS.counting(backend_dict.__dict__["reset"].__func__)
    counted_reset.orgops_wrapped = backend_dict.reset  # the bound original, for the seam check
    backend_dict.reset = classmethod(counted_reset)  # type: ignore[method-assign,assignment]
    backend_dict._create_account_specific_backend = known_account_first(backend_dict._create_account_specific_backend)
    iam = importlib.import_module("moto.iam.models")
    iam.get_account_id_from = indexed_account_lookup(iam.get_account_id_from, iam.iam_backends, iam.PARTITION_NAMES)
    for method in ("create_access_key", "create_temp_access_key"):
        setattr(iam.IAMBackend, method, KEYS.counting(getattr(iam.IAMBackend, method)))
    responses = importlib.import_module("moto.core.responses")
    responses.method_names_from_class = memoised_method_names(responses.method_names_from_class)
    for name in JSONPATH_IMPORTERS:
        module = importlib.import_module(name)
        module.parse = memoised_parse(module.parse)  # type: ignore[attr-defined]
    import boto3.session

    boto3.session.Session.client = cached_session_client(boto3.session.Session.client, sessions._LOADER)  # type: ignore[method-assign]
    creator = botocore.client.ClientCreator
    creator._create_client_class = memoised_client_class(creator._create_client_class, sessions._LOADER)  # type: ignore[method-assign]
    creator._load_service_model = memoised_load_service_model(creator._load_service_model, sessions._LOADER)  # type: ignore[method-assign]
    botocore.hooks.accepts_kwargs = memoised_accepts_kwargs(botocore.hooks.accepts_kwargs)
    aliaser = botocore.hooks.EventAliaser
    aliaser.__init__ = shared_alias_cache(aliaser.__init__, botocore.hooks.EVENT_ALIASES)  # type: ignore[method-assign]
    botocore.regions.EndpointProvider = cached_endpoint_provider(botocore.regions.EndpointProvider)

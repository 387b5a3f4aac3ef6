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
- while an emulator is active, a boto3 session that uses orgops's loader hands out one client
  per (service, region, endpoint, config) instead of building a new one on every
  ``session.client()`` (~30 ms each): the handlers build clients per call, and in the emulator
  every Lambda shares two cores. Clients are thread-safe; credentials are the session's.

After: ~70% less CPU per target (see the README's emulator section for the numbers).

Installed by ``seams.install``; each patch is guarded there.
"""

from __future__ import annotations

import functools
import importlib
import threading
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
        with lock:
            found = cache.get(key)
        if found is None:
            found = original(region=region, service=service, state_credentials=state_credentials)
            with lock:
                found = cache.setdefault(key, found)
        return found

    boto_client_for.orgops_wrapped = original  # type: ignore[attr-defined]
    return boto_client_for


def memoised_parse(original: Any) -> Any:
    cached = functools.lru_cache(maxsize=4096)(original)

    @functools.wraps(original)
    def parse(path: str, *args: Any, **kwargs: Any) -> Any:
        if args or kwargs:
            return original(path, *args, **kwargs)
        return cached(path)

    parse.orgops_wrapped = original  # type: ignore[attr-defined]
    return parse


def memoised_client_class(original: Any, loader: Any) -> Any:
    classes: dict[tuple[str, str], type] = {}
    lock = threading.Lock()

    @functools.wraps(original)
    def _create_client_class(self: Any, service_name: str, service_model: Any) -> type:
        if getattr(self, "_loader", None) is not loader:
            return original(self, service_name, service_model)
        key = (service_name, str(service_model.api_version))
        with lock:
            cls = classes.get(key)
        if cls is None:
            cls = original(self, service_name, service_model)
            with lock:
                cls = classes.setdefault(key, cls)
        return cls

    _create_client_class.orgops_wrapped = original  # type: ignore[attr-defined]
    return _create_client_class


def memoised_load_service_model(original: Any, loader: Any) -> Any:
    models: dict[tuple[str, str | None], Any] = {}
    lock = threading.Lock()

    @functools.wraps(original)
    def _load_service_model(self: Any, service_name: str, api_version: str | None = None) -> Any:
        if getattr(self, "_loader", None) is not loader:
            return original(self, service_name, api_version)
        key = (service_name, api_version)
        with lock:
            model = models.get(key)
        if model is None:
            model = original(self, service_name, api_version)
            with lock:
                model = models.setdefault(key, model)
        return model

    _load_service_model.orgops_wrapped = original  # type: ignore[attr-defined]
    return _load_service_model


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

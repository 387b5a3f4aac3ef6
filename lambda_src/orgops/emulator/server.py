"""``orgops emulator``: serve an emulated AWS endpoint with orgops deployed, until SIGINT/SIGTERM.

Prints one JSON line (``Emulator.describe()``: endpoint, region, state machine ARNs by operation,
data/reports bucket, ...) once the stack is deployed, then serves. Point any client at the
endpoint: ``aws --endpoint-url http://127.0.0.1:PORT stepfunctions start-execution ...``.

Refused before anything starts (exit code 2, one line on stderr naming the flag and the fix): a
--port outside 0..65535 or already in use, a --region (or --seed-regions entry) that no AWS
partition has. While serving: a JSON-protocol request whose body is not a JSON object gets AWS's
``SerializationException`` (400), and moto's control endpoints (/moto-api/: reset, seed, ...) answer
404 unless --control-endpoints is given.
"""

from __future__ import annotations

import argparse
import difflib
import errno
import http
import io
import json
import logging
import signal
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from orgops.errors import OrgopsError

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

DEFAULT_REGION = "us-east-1"
DEFAULT_SEED_REGIONS = "us-east-1,eu-west-1,ap-southeast-2"
MAX_PORT = 65535
LISTEN_BACKLOG = 128  # werkzeug's LISTEN_QUEUE
JSON_PROTOCOL_CONTENT_TYPES = ("application/x-amz-json-1.0", "application/x-amz-json-1.1")
CONTROL_BACKENDS = ("moto_api", "moto_api._internal")  # by path (/moto-api/...) and by host (motoapi.amazonaws.com)
CONTROL_OFF = (
    "moto's control endpoints (/moto-api/: reset, seed, recorder, state manager) are off: "
    "restart orgops emulator with --control-endpoints to use them"
)

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class UsageError(OrgopsError):
    """A flag ``orgops emulator`` refuses; the message names it and how to fix it (exit code 2)."""

    code = "UsageError"


def quiet_moto() -> None:
    """moto logs every failed state (with its whole parse tree) and every unsupported ASL field;
    the execution history already says what failed."""
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one access-log line per request otherwise


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=int, default=5000, help=f"port on 127.0.0.1, 0 to {MAX_PORT} (default 5000; 0: any free port)"
    )
    parser.add_argument("--region", default=DEFAULT_REGION, help=f"region of the stack (default {DEFAULT_REGION})")
    parser.add_argument(
        "--demo-org",
        action="store_true",
        help="also create the demo organization (13 accounts in nested OUs) and seed resources for every operation",
    )
    parser.add_argument(
        "--seed-regions",
        default=DEFAULT_SEED_REGIONS,
        help="regions to seed with --demo-org (comma-separated)",
    )
    parser.add_argument(
        "--control-endpoints",
        action="store_true",
        help="serve moto's state-changing control endpoints (/moto-api/: reset, seed, ...); off by default, "
        "since any page in a local browser can reach them",
    )


# -- refused at startup ----------------------------------------------------------------------------
def port_problem(port: int) -> str | None:
    if 0 <= port <= MAX_PORT:
        return None
    return f"--port {port} is out of range: pass a port from 0 to {MAX_PORT} (0: any free port)"


def _one_of(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def region_problem(flag: str, region: str, known: frozenset[str]) -> str | None:
    if region in known:
        return None
    close = sorted(difflib.get_close_matches(region.lower(), sorted(known), n=3))
    hint = f"did you mean {_one_of(close)}? " if close else ""
    return (
        f"{flag} {region!r} is not a region of any AWS partition: {hint}"
        f"pass one botocore knows, such as {DEFAULT_REGION} or eu-west-1"
    )


def seed_regions(value: str) -> list[str]:
    return [r.strip() for r in value.split(",") if r.strip()]


def argument_problems(args: argparse.Namespace, known: frozenset[str]) -> list[str]:
    """What is wrong with the flags, each naming its flag and the fix (empty when they are fine)."""
    problems = [port_problem(args.port), region_problem("--region", args.region, known)]
    if args.demo_org:
        problems += [region_problem("--seed-regions", r, known) for r in seed_regions(args.seed_regions)]
    return [p for p in problems if p is not None]


def refuse_bad_arguments(args: argparse.Namespace) -> None:
    from orgops.regions import known_regions

    problems = argument_problems(args, known_regions())
    if problems:
        raise UsageError("; ".join(problems))


def bind_problem(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        return f"port {port} is in use: pass --port 0 for any free port or stop what uses it"
    if exc.errno == errno.EACCES:
        return f"port {port} needs privileges to listen on: pass --port 0 for any free port, or one above 1023"
    return f"cannot listen on {host}:{port} ({exc.strerror or exc}): pass --port 0 for any free port"


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``, or ``UsageError`` at once (werkzeug would exit its thread)."""
    problem = port_problem(port)
    if problem is not None:
        raise UsageError(problem)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=LISTEN_BACKLOG)
    except OSError as exc:
        raise UsageError(bind_problem(host, port, exc)) from None


# -- the HTTP layer in front of moto ---------------------------------------------------------------
def json_response(
    start_response: StartResponse, status: int, payload: dict[str, str], headers: Iterable[tuple[str, str]] = ()
) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(
        f"{status} {http.HTTPStatus(status).phrase}",
        [("Content-Length", str(len(body))), ("x-amzn-RequestId", str(uuid.uuid4())), *headers],
    )
    return [body]


def is_json_protocol(environ: Environ) -> bool:
    """An AWS JSON-protocol request (Step Functions, DynamoDB, ...): ``X-Amz-Target`` and its content type."""
    content_type = str(environ.get("CONTENT_TYPE", "")).split(";")[0].strip().lower()
    return "HTTP_X_AMZ_TARGET" in environ and content_type in JSON_PROTOCOL_CONTENT_TYPES


_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number", bool: "a boolean"}


def serialization_problem(body: bytes) -> str | None:
    """Why AWS would answer ``SerializationException`` to this JSON-protocol body (None: it is an object).

    An empty body is moto's to answer (as an empty input)."""
    if not body.strip():
        return None
    try:
        value = json.loads(body)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        return f"the request body is not valid JSON: {exc}"
    if not isinstance(value, dict):
        return f"the request body must be a JSON object, not {_JSON_KINDS.get(type(value), 'null')}"
    return None


def read_body(environ: Environ) -> bytes:
    """The request body, left readable again for the application."""
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):  # chunked: werkzeug ends the stream
        body = stream.read()
    else:
        try:
            length = max(int(environ.get("CONTENT_LENGTH") or 0), 0)
        except ValueError:
            length = 0
        body = stream.read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return bytes(body)


def guard_json_bodies(app: WSGIApp) -> WSGIApp:
    """Answer a JSON-protocol body that is not a JSON object as AWS does (moto answered an HTML 500 or
    read it as an empty input)."""

    def guarded(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if not is_json_protocol(environ):
            return app(environ, start_response)
        problem = serialization_problem(read_body(environ))
        if problem is None:
            return app(environ, start_response)
        error = "SerializationException"
        content_type = str(environ["CONTENT_TYPE"]).split(";")[0].strip()
        return json_response(
            start_response,
            400,
            {"__type": error, "message": problem},
            [("Content-Type", content_type), ("x-amzn-ErrorType", error)],
        )

    return guarded


def control_endpoints_off(environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
    return json_response(start_response, 404, {"message": CONTROL_OFF}, [("Content-Type", "application/json")])


def backend_apps(control_endpoints: bool) -> Callable[[str], Any]:
    """moto's per-backend app factory, with its control API replaced unless ``control_endpoints``."""
    from moto.moto_server.werkzeug_app import create_backend_app

    def create_app(service: str) -> Any:
        if service in CONTROL_BACKENDS and not control_endpoints:
            return control_endpoints_off
        return create_backend_app(service)

    return create_app


def wsgi_app(control_endpoints: bool = False) -> WSGIApp:
    """moto's server app (``DomainDispatcherApplication``, as ``ThreadedMotoServer`` builds it), guarded."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    return guard_json_bodies(DomainDispatcherApplication(backend_apps(control_endpoints)))


def make_server(host: str, port: int, control_endpoints: bool = False) -> BaseWSGIServer:
    """A threaded werkzeug server for moto on ``host:port``, already listening (not yet serving).

    Binds before importing moto, so a bad or busy port is refused at once (``UsageError``)."""
    sock = listen(host, port)
    try:
        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server as werkzeug_server

        return werkzeug_server(
            host,
            sock.getsockname()[1],
            wsgi_app(control_endpoints),
            threaded=True,
            request_handler=MotoRequestHandler,
            fd=sock.fileno(),  # werkzeug duplicates it
        )
    finally:
        sock.close()


def endpoint_of(server: BaseWSGIServer) -> str:
    host, port = server.server_address[:2]
    return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"


def stop_server(server: BaseWSGIServer, thread: threading.Thread) -> None:
    if thread.is_alive():
        server.shutdown()  # serve_forever closes the socket as it returns
        thread.join()
    else:
        server.server_close()


# -- the command -----------------------------------------------------------------------------------
def serve(args: argparse.Namespace, stop: threading.Event | None = None) -> int:
    refuse_bad_arguments(args)  # before anything starts
    from orgops.emulator import seed
    from orgops.emulator.core import Emulator
    from orgops.emulator.world import DEMO_ACCOUNTS

    quiet_moto()
    stop = stop or threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda _s, _f: stop.set())
    control = bool(getattr(args, "control_endpoints", False))
    with Emulator.serve(port=args.port, region=args.region, control_endpoints=control) as emu:
        line: dict[str, Any] = emu.describe()
        if args.demo_org:
            world = emu.build_organization(DEMO_ACCOUNTS)
            seed.seed_world(emu.session(), world, seed_regions(args.seed_regions))
            line["accounts"] = world.accounts
        print(json.dumps(line, sort_keys=True), flush=True)
        stop.wait()
    return 0


def cmd_emulator(args: argparse.Namespace) -> int:
    return serve(args)


def register(sub: Any) -> None:
    """Add ``orgops emulator`` to the CLI's subcommands (``orgops.cli.build_parser``)."""
    p = sub.add_parser(
        "emulator",
        help="serve an emulated AWS endpoint with orgops deployed (development, no AWS account)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(p)
    p.set_defaults(func=cmd_emulator)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="orgops emulator", description=__doc__.splitlines()[0])
    add_arguments(parser)
    try:
        return serve(parser.parse_args(argv))
    except OrgopsError as exc:  # as ``orgops`` does
        print(f"orgops: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

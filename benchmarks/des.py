"""A discrete-event model (SimPy) of one run of the deployed state machine on AWS, at AWS's quotas.

    python -m benchmarks.des            # the model's table (seconds; no emulator)

Pure: no AWS call, no emulator. Every quota below is a named constant with its source; every
latency is a stated assumption (``Latencies``). ``simulate(Config(...))`` returns a ``Result``:
the predicted wall time beside the physical floor, what binds, throttles, failures, cost.

What is modelled, and at what grain (one SimPy event per timed step, not per state transition):
- the fanout: one delay, its listing time (``ListAccounts`` pages of 20; ``account:ListRegions``
  at 5 per second when the run lists regions), then ChoosePath: inline at or below
  ``distributed_threshold`` targets, distributed above;
- inline Map: ``min(max_concurrency, 40)`` lanes, each running one target after another;
  Distributed Map: ``min(distributed_max_concurrency, 10,000)`` lanes, each starting one child
  after another (a token bucket for StartExecution), a child being ``min(batch_max_concurrency
  or batch_size, 40)`` lanes over its batch; an EXPRESS child still running at 300 s fails
  (``States.Timeout``): its targets not yet recorded are lost (the report finds them without a
  status: FAILED), and its Lambda invocations run on (AWS does not stop them). More than
  ``tolerated_failure_percentage`` failed children fail the Map Run: running children are
  stopped, the rest never start (ABORTED);
- one target = the Worker task (Step Functions' Invoke, its Retry on a throttle with
  IntervalSeconds/BackoffRate/MaxDelaySeconds and FULL jitter, MaxAttempts; out of retries: the
  Catch records it FAILED, "throttled to failure"), then RecordStatus (PutItem, its own Retry);
- Lambda: one function (the operation's worker) with its reserved concurrency (at most the
  account quota minus the 100 AWS keeps unreserved), warm environments reused, a new environment
  costs a cold start and a token of the scaling rate (1,000 per 10 s, refilled continuously);
  an invocation over the concurrency limit or without a scaling token is throttled (429);
- in the worker: the member role's AssumeRole once per account per environment (cached 45 min,
  as ``orgops.sessions`` does), against STS's 600 per second with botocore's standard-mode
  retries (11 attempts, full-jitter backoff capped at 20 s); out of attempts the worker returns
  FAILED (AssumeRoleFailed); over ``worker_timeout_seconds`` the invocation is killed (FAILED);
- DynamoDB: every RecordStatus writes under the run's one partition key (``execution_id``), so
  at most one partition's 1,000 writes per second (within the table's 4,000 warm throughput);
- the report: one delay, its reading time (a Query per ~3,000 statuses, one GET per target with
  rows, ``orgops.report.READ_AHEAD`` at a time).
Not modelled: Standard state-transition throttling (the parent makes a few transitions per target
at most 40 at a time), network variance, Lambda environments being recycled, the worker's own AWS
calls in the member account (they are ``worker_seconds``).

Seeded (``Config.seed``): the jitter of every retry comes from one ``random.Random``, so a run is
reproducible. Runs at 100,000 targets take seconds (three events per target on the common path).
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections import Counter, deque
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any, Protocol

import simpy

from benchmarks import model
from orgops import inventory
from orgops.report import READ_AHEAD
from orgops.sessions import RETRY_CONFIG

# -- AWS quotas (defaults of a new account in us-east-1; each with the page that states it) -----------
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html : "Concurrent executions:
# 1,000", per Region, can be increased to tens of thousands.
LAMBDA_ACCOUNT_CONCURRENCY = 1_000
# https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html : a function can reserve
# up to the unreserved account concurrency minus 100 (kept for functions without a reservation).
LAMBDA_UNRESERVED_MINIMUM = 100
# https://docs.aws.amazon.com/lambda/latest/dg/scaling-behavior.html : "for each function, your
# concurrency scaling rate is 1,000 execution environment instances every 10 seconds", refilled
# continuously; a request beyond it is throttled (429).
LAMBDA_SCALING_BURST = 1_000
LAMBDA_SCALING_PER_SECOND = 1_000 / 10
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html : a function runs at most
# 15 minutes.
LAMBDA_MAX_SECONDS = 900
# https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html : Inline mode "supports up to
# 40 concurrent iterations".
INLINE_MAP_MAX_CONCURRENCY = 40
# https://docs.aws.amazon.com/step-functions/latest/dg/state-map-distributed.html : a Distributed Map
# runs up to 10,000 parallel child workflow executions.
DISTRIBUTED_MAP_MAX_CONCURRENCY = 10_000
# https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html : Express "Maximum execution
# time: 5 minutes" (then States.Timeout); StartExecution token buckets (us-east-1, us-west-2,
# eu-west-1): Standard bucket 1,300 refilled 300 per second, Express bucket 6,000 refilled 6,000 per
# second, as the page read in its last public source (awsdocs/aws-step-functions-developer-guide,
# doc_source/limits-overview.md, 2022; AWS may have raised them since). The children's starts are
# counted against them here (the page does not exempt them); they never bind at these settings.
EXPRESS_MAX_SECONDS = 300
START_EXECUTION_STANDARD_BURST, START_EXECUTION_STANDARD_PER_SECOND = 1_300, 300
START_EXECUTION_EXPRESS_BURST, START_EXECUTION_EXPRESS_PER_SECOND = 6_000, 6_000
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html : STS requests, 600 per
# second per account per Region (the account calling AssumeRole: the orgops account), as also hit in
# https://github.com/awslabs/mountpoint-s3/issues/1358 ("the aws sts quota limit of 600 requests per
# second"). One second of burst is assumed.
STS_REQUESTS_PER_SECOND = 600
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/warm-throughput-scenarios.html : "New
# on-demand tables start with a warm throughput of 12,000 read units per second and 4,000 write units
# per second"; "each individual partition is limited to 1,000 write units per second". A run's
# statuses share one partition key (execution_id, modules/platform/main.tf): one partition's worth.
DYNAMODB_TABLE_WRITES_PER_SECOND = 4_000
DYNAMODB_PARTITION_WRITES_PER_SECOND = 1_000
# https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html : MaxResults 1-20
# (botocore's model of ListAccounts says the same): a page lists at most 20 accounts.
LIST_ACCOUNTS_PAGE_SIZE = 20
# The request rates of orgops.inventory (one source, each with its source there): ListRegions 5 per
# second per account, documented; Organizations an ASSUMED 5 per second (AWS publishes none), the
# emulator's stand-in too. The fanout's ListAccounts pages go one after another.
LIST_REGIONS_PER_SECOND = inventory.LIST_REGIONS_RATE.per_second
ORGANIZATIONS_ASSUMED_PER_SECOND = inventory.ORGANIZATIONS_RATE.per_second

# -- what the code does (read from it, not assumed) -----------------------------------------------
# orgops.sessions: botocore standard retry mode, RETRY_CONFIG's max_attempts retries (plus the first).
SDK_ATTEMPTS = int(RETRY_CONFIG.retries["max_attempts"]) + 1
SDK_MAX_BACKOFF_SECONDS = 20  # botocore.retries.standard.ExponentialBackoff: rand(0,1) x min(2^i, 20)
CREDENTIALS_REUSE_SECONDS = 45 * 60  # a role session lasts an hour; orgops.sessions refreshes 15 min early

INLINE, DISTRIBUTED = "inline", "distributed"
EXPRESS, STANDARD = "EXPRESS", "STANDARD"
# How a target ends.
SUCCEEDED = "succeeded"
THROTTLED = "throttled to failure (Lambda)"  # the Worker task's retries ran out on 429s
STS_THROTTLED = "throttled to failure (STS)"  # AssumeRole throttled on every SDK attempt
NOT_RECORDED = "throttled to failure (DynamoDB)"  # RecordStatus's retries ran out
TIMED_OUT = "worker timed out"
LOST = "lost with its Express child (over 5 minutes)"
ABORTED = "aborted with the Map Run"
NOT_RUN = "not run (the fanout failed)"
THROTTLE_FAILURES = (THROTTLED, STS_THROTTLED, NOT_RECORDED)


# -- parameters ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Retry:
    """An ASL Retrier: IntervalSeconds, BackoffRate, MaxDelaySeconds, MaxAttempts, FULL jitter."""

    interval: float
    backoff: float
    max_delay: float
    max_attempts: int  # retries after the first attempt

    def delay(self, retry: int, rng: random.Random) -> float:
        """The wait before retry number ``retry`` (1-based): uniform in [0, the computed interval]."""
        return rng.uniform(0.0, min(self.max_delay, self.interval * self.backoff ** (retry - 1)))


@dataclass(frozen=True)
class Quotas:
    account_concurrency: float = LAMBDA_ACCOUNT_CONCURRENCY
    unreserved_minimum: float = LAMBDA_UNRESERVED_MINIMUM
    scaling_burst: float = LAMBDA_SCALING_BURST
    scaling_per_second: float = LAMBDA_SCALING_PER_SECOND
    inline_map_max: float = INLINE_MAP_MAX_CONCURRENCY
    distributed_map_max: float = DISTRIBUTED_MAP_MAX_CONCURRENCY
    express_max_seconds: float = EXPRESS_MAX_SECONDS
    start_standard: tuple[float, float] = (START_EXECUTION_STANDARD_BURST, START_EXECUTION_STANDARD_PER_SECOND)
    start_express: tuple[float, float] = (START_EXECUTION_EXPRESS_BURST, START_EXECUTION_EXPRESS_PER_SECOND)
    sts_per_second: float = STS_REQUESTS_PER_SECOND
    dynamodb_writes_per_second: float = min(DYNAMODB_TABLE_WRITES_PER_SECOND, DYNAMODB_PARTITION_WRITES_PER_SECOND)
    list_regions_per_second: float = LIST_REGIONS_PER_SECOND
    organizations_per_second: float = ORGANIZATIONS_ASSUMED_PER_SECOND
    lambda_max_seconds: float = LAMBDA_MAX_SECONDS

    @classmethod
    def unlimited(cls) -> Quotas:
        """No quota binds (the emulator's world): every limit infinite."""
        inf = math.inf
        unlimited = {f.name: inf for f in fields(cls)} | {"unreserved_minimum": 0.0}
        return cls(**unlimited | {"start_standard": (inf, inf), "start_express": (inf, inf)})


@dataclass(frozen=True)
class Latencies:
    """Assumed latencies on AWS, seconds (not measured: change them here and rerun)."""

    state_transition: float = 0.02  # Step Functions entering a state and scheduling its task
    lambda_invoke: float = 0.03  # Step Functions' Invoke round trip beyond the function's own run
    cold_start: float = 0.6  # a new worker environment's init: Python, boto3, Powertools
    assume_role: float = 0.1  # one STS AssumeRole round trip
    worker_own: float = 0.06  # the worker beyond the operation: its S3 client, the PUT of the rows
    put_item: float = 0.01  # RecordStatus's PutItem
    child_start: float = 0.1  # the Map Run starting a child once a slot frees
    map_run_start: float = 1.0  # Distributed Map: ItemReader reads the plan, the Map Run starts
    result_writer: float = 1.0  # Distributed Map: ResultWriter's objects at the end
    list_accounts_page: float = 0.15  # one ListAccounts page (Organizations publishes no rate for it)
    list_regions_call: float = 0.1  # one account:ListRegions call
    fanout_per_target: float = 10e-6  # the fanout's CPU per target: planning, the plan's JSON
    s3_put_plan: float = 0.2  # the fanout's PUT of the plan
    s3_get: float = 0.02  # one GET of a target's rows (orgops.report's own figure)
    query_page: float = 0.05  # one Query page of statuses
    statuses_per_page: int = 3_000  # ~300-byte status items in a 1 MB Query page
    report_fixed: float = 1.0  # the report's CSV upload and notifications
    cpu_per_target: float = 0.0  # emulator only: CPU per target, serialized (one Python interpreter)

    @classmethod
    def none(cls, cpu_per_target: float = 0.0) -> Latencies:
        """Every latency zero (the emulator's world: its time is CPU, given as ``cpu_per_target``)."""
        zero = {f.name: 0.0 for f in fields(cls) if f.name != "statuses_per_page"}
        return cls(**zero | {"cpu_per_target": cpu_per_target})


# modules/operation/limits.tf's worker_retry (max_attempts: worker_retry_max_attempts) and record_status.
WORKER_RETRY = Retry(interval=2, backoff=2, max_delay=60, max_attempts=2)
RECORD_RETRY = Retry(interval=1, backoff=2, max_delay=30, max_attempts=4)


@dataclass(frozen=True)
class Config:
    """One run: the operation module's settings (defaults: the lead's Terraform defaults) and the world."""

    targets: int
    worker_seconds: float  # the operation's own time per target (the bench's injected latency)
    worker_reserved_concurrency: int | None = 50  # None: no reservation (the account's pool)
    distributed_max_concurrency: int = 5
    batch_size: int = 10
    batch_max_concurrency: int | None = None  # a child's inline MaxConcurrency; None: batch_size
    max_concurrency: int = 40
    distributed_threshold: int = 500
    worker_timeout_seconds: float = 60
    worker_retry: Retry = WORKER_RETRY
    record_retry: Retry = RECORD_RETRY
    child_type: str = EXPRESS
    tolerated_failure_percentage: float = 5
    worker_memory_mb: int = 256  # modules/operation worker_memory_size
    regions_per_account: int = 4  # targets = accounts x regions, account after account (the fanout's order)
    list_regions: bool = False  # Regions "ALL" or an opt-in region: the fanout lists every account's
    fanout_timeout_seconds: float = 290  # modules/platform fanout_timeout_seconds
    report_timeout_seconds: float = 890  # modules/platform report_timeout_seconds
    quotas: Quotas = field(default_factory=Quotas)
    latencies: Latencies = field(default_factory=Latencies)
    seed: int = 1

    @property
    def path(self) -> str:
        return DISTRIBUTED if self.targets > self.distributed_threshold else INLINE

    @property
    def per_child(self) -> float:
        """Workers one child runs at once: its inline Map's MaxConcurrency, at most AWS's 40."""
        batch = (
            self.batch_size if self.batch_max_concurrency is None else min(self.batch_max_concurrency, self.batch_size)
        )
        return min(batch, self.quotas.inline_map_max)


# -- the floor ------------------------------------------------------------------------------------------
def function_limit(c: Config) -> float:
    """The worker's concurrency: its reservation, at most what the account can reserve (quota - 100)."""
    q = c.quotas
    if c.worker_reserved_concurrency is None:
        return q.account_concurrency
    return min(c.worker_reserved_concurrency, q.account_concurrency - q.unreserved_minimum)


def limits(c: Config) -> list[tuple[str, float]]:
    """Each bound on the number of workers running at once, as (what, workers). A rate quota that
    every target spends once (an AssumeRole, a PutItem) bounds them at rate x worker_seconds."""
    q, latency = c.quotas, c.worker_seconds
    if c.path == DISTRIBUTED:
        children = min(c.distributed_max_concurrency, q.distributed_map_max)
        out = [(f"Map: distributed_max_concurrency {children:g} x batch {c.per_child:g}", children * c.per_child)]
    else:
        out = [
            (
                f"Map: max_concurrency {min(c.max_concurrency, q.inline_map_max):g}",
                min(c.max_concurrency, q.inline_map_max),
            )
        ]
    reserved = c.worker_reserved_concurrency
    if reserved is not None and reserved <= q.account_concurrency - q.unreserved_minimum:
        out.append((f"worker reserved concurrency {reserved:g}", reserved))
    elif reserved is not None:
        name = f"Lambda account concurrency {q.account_concurrency:g} less {q.unreserved_minimum:g} unreserved"
        out.append((name, function_limit(c)))
    else:
        out.append((f"Lambda account concurrency {q.account_concurrency:g}", function_limit(c)))
    out += [
        (f"STS {q.sts_per_second:g} AssumeRole/s", q.sts_per_second * latency),
        (
            f"DynamoDB {q.dynamodb_writes_per_second:g} writes/s on one partition",
            q.dynamodb_writes_per_second * latency,
        ),
        (f"the targets ({c.targets:,})", c.targets),
    ]
    return out


def allowed_concurrency(c: Config) -> float:
    return min(value for _name, value in limits(c))


def binding_limit(c: Config) -> str:
    """What bounds the concurrency (several names when they tie)."""
    allowed = allowed_concurrency(c)
    return " = ".join(name for name, value in limits(c) if math.isclose(value, allowed))


def floor_seconds(c: Config) -> float:
    """The physical floor: max(the slowest target, targets x latency / the concurrency the quotas allow)."""
    if c.targets == 0:
        return 0.0
    return max(c.worker_seconds, c.targets * c.worker_seconds / allowed_concurrency(c))


# -- fixed stages ---------------------------------------------------------------------------------------
def accounts(c: Config) -> int:
    return math.ceil(c.targets / c.regions_per_account)


def listing_seconds(c: Config) -> float:
    """The fanout's reads of the organization: ListAccounts pages, and ListRegions when listed."""
    lat, n = c.latencies, accounts(c)
    pages = max(1, math.ceil(n / LIST_ACCOUNTS_PAGE_SIZE))
    out = max(pages * lat.list_accounts_page, (pages - 1) / c.quotas.organizations_per_second)
    if c.list_regions:
        out += max(n * lat.list_regions_call, n / c.quotas.list_regions_per_second)
    return out


def fanout_seconds(c: Config) -> float:
    """The fanout function's run: cold start, the org reader's role, the listing, the plan to S3."""
    lat = c.latencies
    return lat.cold_start + lat.assume_role + listing_seconds(c) + c.targets * lat.fanout_per_target + lat.s3_put_plan


def report_seconds(c: Config, with_rows: int) -> float:
    """The report function's run: Query pages of statuses, one GET per target with rows (READ_AHEAD at once)."""
    lat = c.latencies
    pages = max(1, math.ceil(c.targets / lat.statuses_per_page))
    return lat.cold_start + pages * lat.query_page + lat.s3_get + with_rows * lat.s3_get / READ_AHEAD + lat.report_fixed


# -- the simulation's pieces ---------------------------------------------------------------------------------
class TokenBucket:
    """A token bucket refilled continuously (AWS's throttling scheme); infinite rate: never empty."""

    def __init__(self, per_second: float, burst: float) -> None:
        self.rate, self.burst = per_second, burst
        self.tokens, self.at = burst, 0.0

    def _refill(self, now: float) -> None:
        if not math.isinf(self.rate):
            self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    def take(self, now: float) -> bool:
        if math.isinf(self.rate):
            return True
        self._refill(now)
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False

    def wait(self, now: float) -> float:
        """Seconds until a token is there (0: now)."""
        if math.isinf(self.rate):
            return 0.0
        self._refill(now)
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate


@dataclass
class Environment:
    """A Lambda execution environment of the worker, with its cached member-account credentials."""

    cold: bool = True
    credentials: dict[int, float] = field(default_factory=dict)  # account -> until when reused


class Function:
    """The worker function: in-flight invocations against its limit, warm environments, scaling tokens."""

    def __init__(self, limit: float, scaling: TokenBucket) -> None:
        self.limit, self.scaling = limit, scaling
        self.in_flight = self.peak = self.created = self.throttles = 0
        self.idle: list[Environment] = []

    def acquire(self, now: float) -> Environment | None:
        """An environment for one invocation, or None: throttled (429)."""
        if self.in_flight >= self.limit:
            return None
        if self.idle:
            env = self.idle.pop()
        elif self.scaling.take(now):
            env, self.created = Environment(), self.created + 1
        else:
            return None
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        return env

    def release(self, env: Environment) -> None:
        self.in_flight -= 1
        env.cold = False
        self.idle.append(env)


@dataclass
class Child:
    """One child execution of the Distributed Map (or the inline Map, with no deadline)."""

    items: Iterator[int]
    size: int = 0
    settled: int = 0  # targets with an outcome (recorded, or not) before the child stopped
    dead: str = ""  # LOST or ABORTED once the child stopped: the outcome of every target not settled
    stopped: simpy.Event | None = None


@dataclass
class Tally:
    outcomes: Counter[str] = field(default_factory=Counter)
    sts_throttles: int = 0
    sts_calls: int = 0
    dynamodb_throttles: int = 0
    invocations: int = 0  # worker invocations that ran (a throttled one is not billed)
    lambda_seconds: float = 0.0  # their billed duration
    parent_transitions: int = 0  # Standard parent: states entered, retries included
    child_transitions: int = 0  # inside the children (billed only for STANDARD children)
    children: int = 0
    failed_children: int = 0
    express_gb_seconds: float = 0.0
    start_waits: float = 0.0  # seconds children waited for a StartExecution token


class Simulation:
    def __init__(self, c: Config) -> None:
        self.c, self.lat, self.q = c, c.latencies, c.quotas
        self.env = simpy.Environment()
        self.rng = random.Random(c.seed)
        self.function = Function(function_limit(c), TokenBucket(self.q.scaling_per_second, self.q.scaling_burst))
        self.sts = TokenBucket(self.q.sts_per_second, self.q.sts_per_second)
        self.dynamodb = TokenBucket(self.q.dynamodb_writes_per_second, self.q.dynamodb_writes_per_second)
        burst, per_second = self.q.start_express if c.child_type == EXPRESS else self.q.start_standard
        self.starts = TokenBucket(per_second, burst)
        self.cpu = simpy.Resource(self.env, capacity=1) if self.lat.cpu_per_target > 0 else None
        self.tally = Tally()
        self.stages: dict[str, float] = {}
        self.failure = ""

    # -- one target ----------------------------------------------------------------------------
    def on_cpu(self, seconds: float) -> Generator[simpy.Event, Any, None]:
        """Hold the one interpreter for ``seconds`` (the emulator's CPU per target)."""
        assert self.cpu is not None
        with self.cpu.request() as turn:
            yield turn
            yield self.env.timeout(seconds)

    def transition(self, child: Child | None) -> None:
        if child is None or child.stopped is None:
            self.tally.parent_transitions += 1
        else:
            self.tally.child_transitions += 1

    def target(self, i: int, child: Child | None) -> Generator[simpy.Event, Any, None]:
        if self.cpu is not None:
            yield from self.on_cpu(self.lat.cpu_per_target / 2)
        outcome = yield from self.worker_task(i, child)
        if not (child and child.dead):
            if self.cpu is not None:
                yield from self.on_cpu(self.lat.cpu_per_target / 2)
            recorded = yield from self.record_status(child)
            if not recorded and outcome == SUCCEEDED:
                outcome = NOT_RECORDED
        if child and child.dead:
            return  # counted when the child stopped
        if child:
            child.settled += 1
        self.tally.outcomes[outcome] += 1

    def worker_task(self, i: int, child: Child | None) -> Generator[simpy.Event, Any, str]:
        """The Worker task with its Retry: an invocation, or throttles until the retries run out."""
        retry, lat = self.c.worker_retry, self.lat
        for attempt in range(retry.max_attempts + 1):
            self.transition(child)
            env = self.function.acquire(self.env.now)
            if env is not None:
                return (yield from self.invocation(i, env))
            self.function.throttles += 1
            wait = lat.state_transition + lat.lambda_invoke
            if attempt < retry.max_attempts:
                wait += retry.delay(attempt + 1, self.rng)
            yield self.env.timeout(wait)
            if child and child.dead:
                return child.dead
        self.transition(child)  # WorkerFailed
        return THROTTLED

    def invocation(self, i: int, env: Environment) -> Generator[simpy.Event, Any, str]:
        """One worker invocation: cold start, AssumeRole (cached per environment), the operation."""
        lat, timeout = self.lat, self.c.worker_timeout_seconds
        cold = lat.cold_start if env.cold else 0.0
        yield self.env.timeout(lat.state_transition + lat.lambda_invoke + cold)
        started = self.env.now - cold  # the function's own clock (billed, and its timeout)
        account = i // self.c.regions_per_account
        outcome = SUCCEEDED
        if env.credentials.get(account, -1.0) <= self.env.now:
            assumed = yield from self.assume_role(started + timeout)
            if assumed == SUCCEEDED:
                env.credentials[account] = self.env.now + CREDENTIALS_REUSE_SECONDS
            outcome = assumed
        work = lat.worker_own + (self.c.worker_seconds if outcome == SUCCEEDED else 0.0)
        left = started + timeout - self.env.now
        if outcome == TIMED_OUT or work > left:
            outcome, work = TIMED_OUT, max(0.0, left)
        yield self.env.timeout(work)
        self.function.release(env)
        self.tally.invocations += 1
        self.tally.lambda_seconds += math.ceil((self.env.now - started) * 1000) / 1000
        return outcome

    def assume_role(self, deadline: float) -> Generator[simpy.Event, Any, str]:
        """STS AssumeRole with botocore's standard retries; TIMED_OUT when the function's time runs out."""
        lat = self.lat
        for attempt in range(SDK_ATTEMPTS):
            self.tally.sts_calls += 1
            if self.sts.take(self.env.now):
                yield self.env.timeout(lat.assume_role)
                return SUCCEEDED
            self.tally.sts_throttles += 1
            wait = lat.assume_role
            if attempt + 1 < SDK_ATTEMPTS:
                wait += self.rng.random() * min(2.0**attempt, SDK_MAX_BACKOFF_SECONDS)
            if self.env.now + wait >= deadline:
                yield self.env.timeout(max(0.0, deadline - self.env.now))
                return TIMED_OUT
            yield self.env.timeout(wait)
        return STS_THROTTLED

    def record_status(self, child: Child | None) -> Generator[simpy.Event, Any, bool]:
        """RecordStatus with its Retry: True once the PutItem got through."""
        retry, lat = self.c.record_retry, self.lat
        for attempt in range(retry.max_attempts + 1):
            self.transition(child)
            ok = self.dynamodb.take(self.env.now)
            if not ok:
                self.tally.dynamodb_throttles += 1
            wait = lat.state_transition + lat.put_item
            if not ok and attempt < retry.max_attempts:
                wait += retry.delay(attempt + 1, self.rng)
            yield self.env.timeout(wait)
            if ok:
                return True
            if child and child.dead:
                return False
        self.transition(child)  # StatusNotRecorded
        return False

    # -- Maps --------------------------------------------------------------------------------------
    def lane(self, child: Child) -> Generator[simpy.Event, Any, None]:
        for i in child.items:
            yield from self.target(i, child)
            if child.dead:
                return

    def inline_map(self) -> Generator[simpy.Event, Any, None]:
        c = self.c
        child = Child(iter(range(c.targets)))
        width = int(min(c.max_concurrency, self.q.inline_map_max, c.targets))
        self.transition(None)
        yield self.env.all_of([self.env.process(self.lane(child)) for _ in range(width)])

    def distributed_map(self) -> Generator[simpy.Event, Any, None]:
        c = self.c
        self.transition(None)
        yield self.env.timeout(self.lat.map_run_start)
        batches = deque(range(k, min(k + c.batch_size, c.targets)) for k in range(0, c.targets, c.batch_size))
        run = MapRun(total=len(batches), pending=batches)
        width = int(min(c.distributed_max_concurrency, self.q.distributed_map_max, len(batches)))
        yield self.env.all_of([self.env.process(self.child_lane(run)) for _ in range(width)])
        while run.pending:
            self.tally.outcomes[ABORTED] += len(run.pending.popleft())
        yield self.env.timeout(self.lat.result_writer)

    def child_lane(self, run: MapRun) -> Generator[simpy.Event, Any, None]:
        while run.pending and not run.failed:
            batch = run.pending.popleft()
            wait = self.starts.wait(self.env.now)
            self.tally.start_waits += wait
            yield self.env.timeout(wait + self.lat.child_start)
            self.starts.take(self.env.now)
            yield from self.child(batch, run)

    def child(self, batch: range, run: MapRun) -> Generator[simpy.Event, Any, None]:
        c, env = self.c, self.env
        self.tally.children += 1
        started = env.now
        child = Child(iter(batch), size=len(batch), stopped=env.event())
        run.running.append(child)
        self.transition(child)  # the child's Batch (inline Map) state
        width = int(min(len(batch), c.per_child))
        done = env.all_of([env.process(self.lane(child)) for _ in range(width)])
        limit = self.q.express_max_seconds if c.child_type == EXPRESS else math.inf
        waits: list[simpy.Event] = [done, child.stopped]
        if not math.isinf(limit):
            waits.append(env.timeout(limit))
        yield env.any_of(waits)
        run.running.remove(child)
        if not done.triggered:
            child.dead = child.dead or LOST
            for _ in child.items:  # never started: the lanes stop
                pass
            self.tally.outcomes[child.dead] += child.size - child.settled
            if child.dead == LOST:
                self.child_failed(run)
        else:
            yield env.timeout(self.lat.state_transition)
        if c.child_type == EXPRESS:
            billed = math.ceil((env.now - started) * 10) / 10
            self.tally.express_gb_seconds += billed * model.SFN_EXPRESS_MEMORY_GB

    def child_failed(self, run: MapRun) -> None:
        self.tally.failed_children += 1
        if run.failed or self.tally.failed_children * 100 <= self.c.tolerated_failure_percentage * run.total:
            return
        run.failed = True
        for child in list(run.running):
            child.dead = ABORTED
            assert child.stopped is not None
            child.stopped.succeed()

    # -- the run -----------------------------------------------------------------------------------
    def run(self) -> Generator[simpy.Event, Any, None]:
        c, lat = self.c, self.lat
        self.transition(None)  # Fanout
        fanout = lat.lambda_invoke + fanout_seconds(c)
        if fanout_seconds(c) > min(c.fanout_timeout_seconds, self.q.lambda_max_seconds):
            self.failure = (
                f"the fanout's listing ({fanout_seconds(c):,.0f} s) exceeds its {c.fanout_timeout_seconds:g} s timeout"
            )
            yield self.env.timeout(lat.lambda_invoke + c.fanout_timeout_seconds)
            self.tally.outcomes[NOT_RUN] += c.targets
            self.stages["fanout"] = self.env.now
            return
        yield self.env.timeout(fanout + lat.state_transition)  # and ChoosePath
        self.transition(None)
        self.stages["fanout"] = self.env.now
        yield from (self.distributed_map() if c.path == DISTRIBUTED else self.inline_map())
        self.stages["map"] = self.env.now - self.stages["fanout"]
        self.transition(None)  # Report
        report = report_seconds(c, self.tally.outcomes[SUCCEEDED])
        if report > min(c.report_timeout_seconds, self.q.lambda_max_seconds):
            self.failure = f"the report ({report:,.0f} s) exceeds its {c.report_timeout_seconds:g} s timeout"
        yield self.env.timeout(lat.state_transition + lat.lambda_invoke + report)
        self.stages["report"] = report


@dataclass
class MapRun:
    total: int
    pending: deque[range]
    running: list[Child] = field(default_factory=list)
    failed: bool = False


# -- results ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Result:
    config: Config
    wall_seconds: float
    floor_seconds: float
    binding: str
    peak_concurrency: int
    lambda_throttles: int
    sts_throttles: int
    dynamodb_throttles: int
    outcomes: Mapping[str, int]
    children: int
    failed_children: int
    environments: int
    sts_calls: int
    usd: float
    stages: Mapping[str, float]
    failure: str  # "" when the run completed
    simulated_in: float  # seconds of this machine's time the simulation took

    @property
    def ratio(self) -> float:
        return self.wall_seconds / self.floor_seconds if self.floor_seconds else math.inf

    @property
    def throttled_to_failure(self) -> int:
        return sum(self.outcomes.get(k, 0) for k in THROTTLE_FAILURES)

    @property
    def failed(self) -> int:
        return self.config.targets - self.outcomes.get(SUCCEEDED, 0)


def cost(c: Config, t: Tally, fanout: float, report: float) -> float:
    """USD for the run, with benchmarks.model's prices."""
    succeeded = t.outcomes[SUCCEEDED]
    distributed = c.path == DISTRIBUTED
    transitions = t.parent_transitions + t.children + (t.child_transitions if c.child_type == STANDARD else 0)
    step_functions = transitions * model.SFN_STANDARD_PER_TRANSITION
    if c.child_type == EXPRESS:
        step_functions += (
            t.children * model.SFN_EXPRESS_PER_REQUEST + t.express_gb_seconds * model.SFN_EXPRESS_PER_GB_SECOND
        )
    lambda_ = (t.invocations + 2) * model.LAMBDA_PER_REQUEST + model.LAMBDA_PER_GB_SECOND * (
        t.lambda_seconds * c.worker_memory_mb / 1024 + (fanout + report) * model.FANOUT_REPORT_MEMORY_GB
    )
    writes = c.targets - t.outcomes[NOT_RECORDED] - t.outcomes[LOST] - t.outcomes[ABORTED] - t.outcomes[NOT_RUN]
    # S3: a rows object per succeeded target and the plan, the report's CSVs (2), the ResultWriter's (2);
    # GETs: the rows, the plan (report), the ItemReader's read of it (bench: the same counts in the emulator).
    puts = succeeded + 1 + 2 + (2 if distributed else 0)
    gets = succeeded + 1 + (1 if distributed else 0)
    return (
        step_functions
        + lambda_
        + max(0, writes) * model.DYNAMODB_PER_WRITE
        + puts * model.S3_PER_PUT
        + gets * model.S3_PER_GET
    )


def simulate(c: Config) -> Result:
    """Run the model once (deterministic for a given ``c.seed``)."""
    if c.targets < 0 or c.worker_seconds < 0 or c.batch_size < 1 or c.regions_per_account < 1:
        raise ValueError("targets >= 0, worker_seconds >= 0, batch_size >= 1, regions_per_account >= 1")
    began = time.perf_counter()
    sim = Simulation(c)
    # Until the run's end: an Express child's 5-minute timer, or an invocation of a child that timed
    # out, may still be pending after the report.
    sim.env.run(until=sim.env.process(sim.run()))
    t = sim.tally
    return Result(
        config=c,
        wall_seconds=sim.env.now,
        floor_seconds=floor_seconds(c),
        binding=binding_limit(c),
        peak_concurrency=sim.function.peak,
        lambda_throttles=sim.function.throttles,
        sts_throttles=t.sts_throttles,
        dynamodb_throttles=t.dynamodb_throttles,
        outcomes=dict(t.outcomes),
        children=t.children,
        failed_children=t.failed_children,
        environments=sim.function.created,
        sts_calls=t.sts_calls,
        usd=cost(c, t, fanout_seconds(c), sim.stages.get("report", 0.0)),
        stages=dict(sim.stages),
        failure=sim.failure,
        simulated_in=time.perf_counter() - began,
    )


# -- scenarios --------------------------------------------------------------------------------------------
SIZES = (1_000, 10_000, 100_000)
LATENCIES = (1.0, 30.0)
GOAL_RATIO = 1.3
GOAL_SIZES = (10_000, 100_000)
RAISED_ACCOUNT_CONCURRENCY = 2_000  # a quota increase: reserving 1,000 needs at least 1,100


def defaults(targets: int, worker_seconds: float) -> Config:
    return Config(targets=targets, worker_seconds=worker_seconds)


def raised(targets: int, worker_seconds: float) -> Config:
    """Raised quotas: 1,000 reserved for the worker (account quota raised to 2,000), 100 children x 10."""
    return Config(
        targets=targets,
        worker_seconds=worker_seconds,
        worker_reserved_concurrency=1_000,
        distributed_max_concurrency=100,
        batch_size=10,
        quotas=Quotas(account_concurrency=RAISED_ACCOUNT_CONCURRENCY),
    )


SCENARIOS = {"defaults": defaults, "raised quotas": raised}


def scenario_results(sizes: Sequence[int] = SIZES, latencies: Sequence[float] = LATENCIES) -> list[tuple[str, Result]]:
    out = []
    for name, make in SCENARIOS.items():
        for latency in latencies:
            for n in sizes:
                result = simulate(make(n, latency))
                print(
                    f"# model {name} {n:,} targets x {latency:g} s: {result.wall_seconds:,.0f} s "
                    f"(floor {result.floor_seconds:,.0f} s, {result.ratio:.2f}x), "
                    f"simulated in {result.simulated_in:.1f} s",
                    flush=True,
                )
                out.append((name, result))
    return out


# -- the emulator cross-check ------------------------------------------------------------------------------
class Measured(Protocol):
    """A wall-time row of ``benchmarks.bench`` (``WallTime``)."""

    runner: str
    targets: int
    concurrency: int
    seconds: float
    cpu: float
    latency: float


class EmulatorSettings(Protocol):
    """``orgops.emulator.OperationSettings``: what the bench deployed."""

    batch_size: int
    max_concurrency: int
    distributed_max_concurrency: int


def emulator_config(w: Measured, settings: EmulatorSettings) -> Config:
    """The model with the emulator's parameters: its Map settings, the worker's reserved concurrency and
    Retry when the emulator enforces them (``orgops.emulator.limits``), no other quota, no AWS latency;
    the measured CPU per target (the whole process's, fanout and report included) serialized on one
    interpreter."""
    distributed = "distributed" in w.runner
    reserved = getattr(settings, "worker_reserved_concurrency", None)
    retries = getattr(settings, "worker_retry_max_attempts", WORKER_RETRY.max_attempts)
    quotas = Quotas.unlimited()
    if reserved is not None:
        quotas = replace(
            quotas, account_concurrency=LAMBDA_ACCOUNT_CONCURRENCY, unreserved_minimum=LAMBDA_UNRESERVED_MINIMUM
        )
    return Config(
        targets=w.targets,
        worker_seconds=w.latency,
        worker_reserved_concurrency=reserved,
        distributed_max_concurrency=settings.distributed_max_concurrency,
        batch_size=settings.batch_size,
        batch_max_concurrency=getattr(settings, "batch_max_concurrency", None),
        max_concurrency=settings.max_concurrency if distributed else w.concurrency,
        distributed_threshold=0 if distributed else w.targets,
        worker_timeout_seconds=getattr(settings, "worker_timeout_seconds", math.inf),
        worker_retry=replace(WORKER_RETRY, max_attempts=retries),
        child_type=STANDARD,  # moto runs no other (orgops.emulator.stack.EMULATOR_CHILD_EXECUTION_TYPE)
        tolerated_failure_percentage=getattr(settings, "tolerated_failure_percentage", 5),
        quotas=quotas,
        latencies=Latencies.none(cpu_per_target=w.cpu / w.targets if w.targets else 0.0),
    )


@dataclass(frozen=True)
class Compared:
    """One measured emulator run (its whole execution and, when measured, its Map state) and the model's."""

    whole: Measured
    map_state: Measured | None
    model: Result


def cross_check(walls: Sequence[Measured], settings: EmulatorSettings) -> list[Compared]:
    """The model beside each measured whole execution of the state machine (the rows with CPU), with the
    Map-state row the bench lists right after it."""
    out = []
    for k, w in enumerate(walls):
        if not (w.runner.startswith("state machine") and w.runner.endswith("whole execution")) or math.isnan(w.cpu):
            continue
        after = walls[k + 1] if k + 1 < len(walls) else None
        same = after is not None and after.runner == w.runner.replace("whole execution", "Map state only")
        out.append(Compared(w, after if same else None, simulate(emulator_config(w, settings))))
    return out


# -- markdown ---------------------------------------------------------------------------------------------
def _throttles(r: Result) -> str:
    return f"{r.lambda_throttles:,} / {r.sts_throttles:,} / {r.dynamodb_throttles:,}"


def _other_failures(r: Result) -> str:
    other = {k: v for k, v in r.outcomes.items() if k != SUCCEEDED and k not in THROTTLE_FAILURES and v}
    return ", ".join(f"{v:,} {k}" for k, v in other.items()) or "0"


def _duration(seconds: float) -> str:
    return f"{seconds:,.0f} s" if seconds < 3600 else f"{seconds:,.0f} s ({seconds / 3600:.1f} h)"


def table(results: Sequence[tuple[str, Result]]) -> str:
    out = [
        "| scenario | targets | worker s | path | predicted wall | floor | ratio | binding limit "
        "| peak concurrency | throttles (Lambda / STS / DynamoDB) | throttled to failure | other failures "
        "| USD per run |",
        "|" + " --- |" * 13,
    ]
    for name, r in results:
        c = r.config
        failure = f" ({r.failure})" if r.failure else ""
        out.append(
            f"| {name} | {c.targets:,} | {c.worker_seconds:g} | {c.path} | {_duration(r.wall_seconds)}{failure} "
            f"| {_duration(r.floor_seconds)} | {r.ratio:.2f}x | {r.binding} | {r.peak_concurrency:,} | {_throttles(r)} "
            f"| {r.throttled_to_failure:,} | {_other_failures(r)} | {r.usd:,.2f} |"
        )
    return "\n".join(out)


def goal_line(results: Sequence[tuple[str, Result]]) -> str:
    """The issue's goal at the defaults: within 1.3x of the floor at 10,000 and 100,000 targets, and
    no target throttled to failure; judged at each worker latency."""
    judged = [r for name, r in results if name == "defaults" and r.config.targets in GOAL_SIZES]
    verdicts = []
    for latency in sorted({r.config.worker_seconds for r in judged}):
        runs = [r for r in judged if r.config.worker_seconds == latency]
        met = all(r.ratio <= GOAL_RATIO and not r.throttled_to_failure and not r.failure for r in runs)
        cases = ", ".join(
            f"{r.config.targets:,}: {r.ratio:.2f}x, {r.throttled_to_failure} throttled to failure" for r in runs
        )
        verdicts.append(f"{'MET' if met else 'NOT MET'} with {latency:g} s workers ({cases})")
    overall = "MET" if judged and all(v.startswith("MET") for v in verdicts) else "NOT MET"
    return (
        f"- **Within {GOAL_RATIO}x of the floor at 10,000 and 100,000 targets, nothing throttled to failure "
        f"(defaults, model)**: {overall}: {'; '.join(verdicts)}."
    )


def wave_overhead_seconds(c: Config) -> float:
    """What AWS adds to one target's worker_seconds in a child with no throttle (the AssumeRole not
    cached): the child's start and states, Invoke, AssumeRole, the worker's own S3 work, RecordStatus."""
    lat = c.latencies
    target = 2 * lat.state_transition + lat.lambda_invoke + lat.assume_role + lat.worker_own + lat.put_item
    return target + (lat.child_start + 2 * lat.state_transition if c.path == DISTRIBUTED else 0.0)


def where_time_goes(r: Result) -> str:
    """One run's predicted time split into its stages."""
    s, c = r.stages, r.config
    fanout, map_, report = s.get("fanout", 0.0), s.get("map", 0.0), s.get("report", 0.0)
    return (
        f"{c.targets:,} x {c.worker_seconds:g} s: the Map takes {map_:,.0f} s = {map_ / r.floor_seconds:.2f}x the "
        f"floor ({r.floor_seconds:,.0f} s): each wave of workers waits {wave_overhead_seconds(c) * 1000:,.0f} ms of "
        f"AWS steps beside the {c.worker_seconds:g} s (child start and states, Invoke, AssumeRole, the worker's S3 "
        f"PUT, RecordStatus) while the Map's concurrency equals the reserved concurrency; the fanout's listing "
        f"({fanout:,.0f} s, {math.ceil(accounts(c) / LIST_ACCOUNTS_PAGE_SIZE):,} ListAccounts pages one after "
        f"another) and the report's reading ({report:,.0f} s, a GET per target, {READ_AHEAD} at once) add "
        f"{(fanout + report) / r.floor_seconds:.2f}x"
    )


def misses(results: Sequence[tuple[str, Result]]) -> list[str]:
    """What limits each goal case the model misses."""
    return [
        f"  - {where_time_goes(r)}."
        for name, r in results
        if name == "defaults" and r.config.targets in GOAL_SIZES and r.ratio > GOAL_RATIO
    ]


def raised_lines(results: Sequence[tuple[str, Result]]) -> list[str]:
    """What raising the quotas buys, at the largest size of each latency."""
    by = {(name, r.config.targets, r.config.worker_seconds): r for name, r in results}
    out = []
    for (name, n, latency), r in by.items():
        base = by.get(("defaults", n, latency))
        if name != "raised quotas" or base is None or n != max(k[1] for k in by):
            continue
        fixed = r.stages.get("fanout", 0.0) + r.stages.get("report", 0.0)
        out.append(
            f"- Raised quotas, {n:,} x {latency:g} s: {_duration(base.wall_seconds)} -> {_duration(r.wall_seconds)} "
            f"({base.wall_seconds / r.wall_seconds:.1f}x faster, {r.ratio:.2f}x its floor); binding: {r.binding}; "
            f"{r.sts_throttles:,} AssumeRole calls throttled and retried by the SDK, {r.throttled_to_failure} targets "
            f"throttled to failure; the fanout and the report are {fixed / r.wall_seconds:.0%} of the run."
        )
    return out


def cross_table(rows: Sequence[Compared]) -> str:
    out = [
        "| runner | targets | latency | Map concurrency | CPU ms per target | Map state: measured s | model s "
        "| model / measured | whole execution: measured s | model s | the emulator's fanout and report s "
        "| model: Lambda throttles, throttled to failure |",
        "|" + " --- |" * 12,
    ]
    for row in rows:
        w, m, r = row.whole, row.map_state, row.model
        c = r.config
        children = min(c.distributed_max_concurrency, math.ceil(c.targets / c.batch_size))
        concurrency = c.max_concurrency if c.path == INLINE else f"{children} x {c.per_child:g}"
        model_map = r.stages.get("map", 0.0)
        map_cells = f"{m.seconds:.1f} | {model_map:.1f} | {model_map / m.seconds:.2f}" if m else " | | "
        fixed = f"{w.seconds - m.seconds:.1f}" if m else ""
        out.append(
            f"| {w.runner.removesuffix(', whole execution')} | {w.targets} | {w.latency * 1000:.0f} ms | {concurrency} "
            f"| {w.cpu / w.targets * 1000:.1f} | {map_cells} | {w.seconds:.1f} | {r.wall_seconds:.1f} | {fixed} "
            f"| {r.lambda_throttles}, {r.throttled_to_failure} |"
        )
    return "\n".join(out)


def section(results: Sequence[tuple[str, Result]], cross: Sequence[Compared] | None = None) -> str:
    """The markdown section ``make bench`` writes to benchmarks/results.md."""
    q, lat, d = Quotas(), Latencies(), defaults(0, 0)
    slowest = max(r.simulated_in for _name, r in results) if results else 0.0
    fanout_all = replace(d, targets=100_000, list_regions=True)
    lines = [
        "## Model of a run on AWS",
        "",
        "`benchmarks/des.py`: a discrete-event simulation (SimPy, seeded) of the deployed state machine at AWS's "
        "documented quotas (each constant in the module names its source) and stated latencies. Not measured: "
        "a prediction, to be checked against a real run. Floor = max(the slowest target, targets x worker "
        "latency / the concurrency the quotas allow); binding limit = what sets that concurrency (a rate quota "
        "every target spends once bounds it at rate x latency). Throttles: 429s of the worker's invocations / "
        "AssumeRole calls throttled / PutItems throttled. Throttled to failure: a target whose Worker retries, "
        "AssumeRole's SDK attempts or RecordStatus retries ran out (the report lists it FAILED).",
        "",
        f"Defaults (the operation module's): worker reserved concurrency {d.worker_reserved_concurrency}, "
        f"distributed_max_concurrency {d.distributed_max_concurrency}, batch_size {d.batch_size}, max_concurrency "
        f"{d.max_concurrency}, distributed_threshold {d.distributed_threshold}, worker_timeout_seconds "
        f"{d.worker_timeout_seconds:g}, Worker Retry MaxAttempts {d.worker_retry.max_attempts} (IntervalSeconds "
        f"{d.worker_retry.interval:g}, BackoffRate {d.worker_retry.backoff:g}, MaxDelaySeconds "
        f"{d.worker_retry.max_delay:g}, FULL jitter), {d.child_type} children, account concurrency "
        f"{q.account_concurrency:,.0f}, {d.regions_per_account} regions per account, named regions (no "
        "ListRegions). Raised quotas: reserved 1,000 (account quota raised to "
        f"{RAISED_ACCOUNT_CONCURRENCY:,}, AWS keeps {q.unreserved_minimum:.0f} unreserved), "
        "distributed_max_concurrency 100, batch_size 10. "
        f"Quotas: Lambda {q.account_concurrency:,.0f} concurrent per account, scaling "
        f"{LAMBDA_SCALING_BURST:,} environments per 10 s per function; inline Map {INLINE_MAP_MAX_CONCURRENCY}, "
        f"Distributed Map {DISTRIBUTED_MAP_MAX_CONCURRENCY:,} children; Express {EXPRESS_MAX_SECONDS} s; "
        f"StartExecution Standard {START_EXECUTION_STANDARD_BURST:,}/{START_EXECUTION_STANDARD_PER_SECOND} per s, "
        f"Express {START_EXECUTION_EXPRESS_BURST:,}/{START_EXECUTION_EXPRESS_PER_SECOND:,} per s; STS "
        f"{STS_REQUESTS_PER_SECOND} per s; DynamoDB on-demand {DYNAMODB_TABLE_WRITES_PER_SECOND:,} writes per s "
        f"warm, {DYNAMODB_PARTITION_WRITES_PER_SECOND:,} per partition; ListAccounts {LIST_ACCOUNTS_PAGE_SIZE} "
        f"per page; ListRegions {LIST_REGIONS_PER_SECOND} per s. Assumed latencies: state transition "
        f"{lat.state_transition * 1000:.0f} ms, Invoke {lat.lambda_invoke * 1000:.0f} ms, cold start "
        f"{lat.cold_start * 1000:.0f} ms, AssumeRole {lat.assume_role * 1000:.0f} ms, the worker's own S3 work "
        f"{lat.worker_own * 1000:.0f} ms, PutItem {lat.put_item * 1000:.0f} ms, child start "
        f"{lat.child_start * 1000:.0f} ms, Map Run start and ResultWriter {lat.map_run_start:g} s each, "
        f"ListAccounts page {lat.list_accounts_page * 1000:.0f} ms, rows GET {lat.s3_get * 1000:.0f} ms "
        f"({READ_AHEAD} at once in the report). Prices: `benchmarks/model.py`. Slowest simulation: {slowest:.1f} s.",
        "",
        table(results),
        "",
        goal_line(results),
        *misses(results),
        *raised_lines(results),
        f'- The fanout with Regions "ALL" (or an opt-in region) lists every account\'s regions at '
        f"{LIST_REGIONS_PER_SECOND} per second: 100,000 targets in {d.regions_per_account} regions = "
        f"{accounts(fanout_all):,} accounts take {listing_seconds(fanout_all):,.0f} s, over the fanout's "
        f"{d.fanout_timeout_seconds:g} s timeout (and Lambda's {LAMBDA_MAX_SECONDS} s): such a run fails before "
        "any worker runs.",
        "",
    ]
    if cross is not None:
        lines += [
            "### The model against the emulator",
            "",
            "The same model with the emulator's parameters (its Map concurrency and batches, the worker's reserved "
            "concurrency and Retry, which the emulator enforces, STANDARD children, no other quota, no AWS latency) "
            "and the emulator's measured cost: the CPU the process spent per target during the whole execution "
            "(fanout and report included, so more than the Map's own), on one interpreter at a time (Python runs "
            "one thread at once), half before the worker's sleep and half after it. The Map state is the like-for-"
            "like comparison; the whole execution also holds the emulator's fanout and report, whose waits (its "
            "Organizations and ListRegions request rates, `orgops.emulator.limits`) this mode of the model leaves "
            "out: their seconds are the column before last (measured whole - measured Map).",
            "",
            cross_table(cross) if cross else "No wall-time rows (run without --no-wall).",
            "",
        ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.des", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES), help="target counts")
    parser.add_argument("--latencies", default=",".join(f"{x:g}" for x in LATENCIES), help="worker seconds")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    latencies = [float(s) for s in args.latencies.split(",")]
    print(section(scenario_results(sizes, latencies)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Account Management ``ListRegions`` for moto, which lacks it (moto 5.2.5 answers 404).

``"Regions": "ALL"`` makes the fanout list each selected account's enabled regions
(``orgops.org.enabled_regions``); without this the fanout fails. The regions are those botocore
knows in the ``aws`` partition: regions launched before 20 March 2019 are ``ENABLED_BY_DEFAULT``,
opt-in regions are ``DISABLED`` unless ``opt_in`` enabled them for the account (``ENABLED`` at once;
AWS passes through ``ENABLING``). ``AccountId`` is allowed only from the organization's management
account, for a member of its organization; trusted access for Account Management is not checked.
Installed by ``orgops.emulator.seams.install``.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
from typing import Any

import botocore.session

from orgops import regions as aws_regions

URL_PATH = "{0}/listRegions$"
PARTITION = "aws"
ACTION = "account:ListRegions"

# Every region of the partition not enabled by default is opt-in (orgops.regions, from AWS's
# Account Management guide): DISABLED until ``opt_in`` enables it for an account.
OPT_IN_REGIONS = frozenset(r for r in aws_regions.partition_regions(PARTITION) if aws_regions.is_opt_in(r))
STATUSES = ("ENABLED", "ENABLING", "DISABLING", "DISABLED", "ENABLED_BY_DEFAULT")
MAX_RESULTS = 50  # the API's maximum
# AWS documents no default page size; a small one makes a caller that ignores NextToken fail here.
DEFAULT_MAX_RESULTS = 20


@functools.cache
def partition_regions() -> tuple[str, ...]:
    """Every region botocore knows in the ``aws`` partition, sorted."""
    return tuple(sorted(aws_regions.partition_regions(PARTITION)))


def default_status(region: str) -> str:
    return "DISABLED" if region in OPT_IN_REGIONS else "ENABLED_BY_DEFAULT"


def _opted_in(account_id: str) -> set[str]:
    """The account's opted-in regions, kept on its moto account backend (reset with moto)."""
    from moto.account.models import account_backends

    backend = account_backends[account_id][PARTITION]
    regions: set[str] | None = getattr(backend, "orgops_opted_in", None)
    if regions is None:
        regions = backend.orgops_opted_in = set()
    return regions


def opt_in(account_id: str, region: str) -> None:
    """Enable opt-in ``region`` for ``account_id`` (``ListRegions`` says ``ENABLED``)."""
    if region not in OPT_IN_REGIONS or region not in partition_regions():
        raise ValueError(f"{region} is not an opt-in region of the {PARTITION} partition")
    _opted_in(account_id).add(region)


def regions(account_id: str) -> list[dict[str, str]]:
    """The account's regions and their opt-in status, sorted by name."""
    enabled = _opted_in(account_id)
    return [
        {"RegionName": r, "RegionOptStatus": "ENABLED" if r in enabled else default_status(r)}
        for r in partition_regions()
    ]


# -- errors ----------------------------------------------------------------------------------------
def _validation(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    return JsonRESTError("ValidationException", message)


def _access_denied(message: str) -> Exception:
    from moto.core.exceptions import JsonRESTError

    err = JsonRESTError("AccessDeniedException", message)
    err.code = 403
    return err


def denial(caller_arn: str, reason: str) -> str:
    return f"User: {caller_arn} is not authorized to perform: {ACTION} ({reason})"


# -- access ----------------------------------------------------------------------------------------
def refusal(caller_account: str, account_id: str) -> str | None:
    """Why AWS would refuse ``caller_account`` naming ``account_id`` in ``AccountId``, or None."""
    from moto.organizations.models import organizations_backends

    if getattr(organizations_backends[caller_account][PARTITION], "org", None) is None:
        return "only the organization's management account may specify AccountId"
    if account_id == caller_account:
        return "the management account must omit AccountId to read its own regions"
    if organizations_backends.master_accounts.get(account_id) != (caller_account, PARTITION):
        return f"account {account_id} is not a member of your organization"
    return None


# -- paging ----------------------------------------------------------------------------------------
def _token(region: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"next": region}).encode()).decode()


def _start(token: str) -> str:
    try:
        region = json.loads(base64.urlsafe_b64decode(token.encode()))["next"]
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError):
        region = None
    if region not in partition_regions():
        raise _validation("The NextToken is invalid")
    return str(region)


def page(
    listed: list[dict[str, str]],
    statuses: list[str] | None,
    max_results: int | None,
    next_token: str | None,
) -> dict[str, Any]:
    """One ``ListRegions`` page of ``listed`` (sorted by name), as AWS answers it."""
    if max_results is not None and not 1 <= max_results <= MAX_RESULTS:
        raise _validation(f"MaxResults must be between 1 and {MAX_RESULTS}")
    unknown = sorted(set(statuses or []) - set(STATUSES))
    if unknown:
        raise _validation(f"Invalid RegionOptStatusContains {unknown}: valid values are {', '.join(STATUSES)}")
    matching = [r for r in listed if not statuses or r["RegionOptStatus"] in statuses]
    if next_token:
        start = _start(next_token)
        matching = [r for r in matching if r["RegionName"] >= start]
    size = max_results or DEFAULT_MAX_RESULTS
    result: dict[str, Any] = {"Regions": matching[:size]}
    if len(matching) > size:
        result["NextToken"] = _token(matching[size]["RegionName"])
    return result


# -- response method, installed on moto's AccountResponse ------------------------------------------
def list_regions(self: Any) -> str:
    """Installed on moto's ``AccountResponse``: ``POST /listRegions``."""
    from moto.sts.models import sts_backends

    params = json.loads(self.body) if self.body else {}
    caller_account = self.current_account
    account_id = params.get("AccountId") or caller_account
    if params.get("AccountId"):
        reason = refusal(caller_account, account_id)
        if reason is not None:
            _user_id, arn, _account = sts_backends[caller_account][PARTITION].get_caller_identity(
                self.get_access_key(), self.region
            )
            raise _access_denied(denial(arn, reason))
    answer = page(
        regions(account_id), params.get("RegionOptStatusContains"), params.get("MaxResults"), params.get("NextToken")
    )
    return json.dumps(answer)


# -- calls into a region the account has not enabled -----------------------------------------------
# AWS answers them as if the credentials were unknown there (the account does not exist in that
# region): EC2 with AuthFailure (401), JSON and REST-JSON services with UnrecognizedClientException
# (403), query and REST-XML services with InvalidClientTokenId (403). Never OptInRequired, which
# means "not subscribed to this service" (a real failure).
EC2_REFUSAL = ("AuthFailure", 401, "AWS was not able to validate the provided access credentials")
JSON_REFUSAL = ("UnrecognizedClientException", 403, "The security token included in the request is invalid.")
QUERY_REFUSAL = ("InvalidClientTokenId", 403, "The security token included in the request is invalid.")
JSON_PROTOCOLS = frozenset({"json", "rest-json"})


@functools.cache
def _protocol(service: str) -> str:
    try:
        return str(botocore.session.get_session().get_service_model(service).metadata.get("protocol", ""))
    except Exception:  # a service botocore does not model: answer as the query protocol does
        return ""


def region_refusal(service: str, region: str | None, account_id: str | None) -> tuple[str, int, str] | None:
    """AWS's error for ``account_id`` calling ``service`` in ``region``, if it has not enabled it."""
    if region not in OPT_IN_REGIONS or not account_id or region in _opted_in(account_id):
        return None
    if service == "ec2":
        return EC2_REFUSAL
    return JSON_REFUSAL if _protocol(service) in JSON_PROTOCOLS else QUERY_REFUSAL


def request_refusal(response: Any) -> tuple[str, int, str] | None:
    """AWS's error for a moto request into a region its caller's account has not enabled."""
    service = str(getattr(response, "boto3_service_name", "") or "")
    return region_refusal(service, getattr(response, "region", None), getattr(response, "current_account", None))


def wrap_call_action(original: Any) -> Any:
    """Wrap moto's ``BaseResponse.call_action``: refuse calls into regions the caller has not enabled."""
    from orgops.emulator import refusals

    return refusals.refusing(original, request_refusal)

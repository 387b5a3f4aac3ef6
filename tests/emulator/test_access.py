"""AssumeRole as AWS checks it (moto grants every AssumeRole): the trust policy must name the caller."""

from __future__ import annotations

from orgops.emulator import access

WORKER = "arn:aws:sts::111111111111:assumed-role/operation-readonly-lambda/orgops-vpcs-worker"


def _caller(arn: str = WORKER, account: str = "111111111111") -> access.Caller:
    return access.parse_caller(arn, account)


def test_a_trust_policy_naming_the_callers_role_lets_it_assume() -> None:
    policy = access.trust_policy("arn:aws:iam::111111111111:role/operation-readonly-lambda")
    assert access.trusts(policy, _caller())


def test_a_trust_policy_naming_another_role_refuses_the_caller() -> None:
    policy = access.trust_policy("arn:aws:iam::111111111111:role/operation-admin-lambda")
    assert not access.trusts(policy, _caller())


def test_a_role_of_the_same_name_in_another_account_is_not_the_caller() -> None:
    policy = access.trust_policy("arn:aws:iam::222222222222:role/operation-readonly-lambda")
    assert not access.trusts(policy, _caller())


def test_the_callers_account_root_lets_any_principal_of_that_account_assume() -> None:
    policy = access.trust_policy("arn:aws:iam::111111111111:root")
    assert access.trusts(policy, _caller())
    assert access.trusts(policy, _caller("arn:aws:iam::111111111111:user/alice"))


def test_a_service_principal_trusts_no_user_or_role() -> None:
    assert not access.trusts(access.service_trust_policy("lambda.amazonaws.com"), _caller())


def test_a_deny_statement_or_another_action_grants_nothing() -> None:
    deny = {"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    tag = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:TagSession"}]}
    assert not access.trusts(deny, _caller())
    assert not access.trusts(tag, _caller())


def test_the_denial_reads_as_aws_writes_it() -> None:
    role = "arn:aws:iam::222222222222:role/operation-readonly"
    assert access.denial_message(_caller(), role) == (
        f"User: {WORKER} is not authorized to perform: sts:AssumeRole on resource: {role}"
    )

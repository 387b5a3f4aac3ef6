"""The member roles hold exactly the union of the deployed operations' declared actions, each on
"*" or on the ARN patterns its operations scope it to: modules/operation-manifest evaluated by
Terraform itself (``terraform console``, no provider) over the manifest build.py writes, for
several selections of deployed operations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import build
from orgops import operations
from orgops.operations.base import Operation, policy_statements
from tests.observability.terraform_eval import TerraformError, evaluate
from tests.terraform import hcl
from tests.terraform.policies import cfn_statements, deployed_length, manifest_module, variable_block

MODULE = hcl.MODULES / "operation-manifest"
SG = "arn:${Partition}:ec2:*:${Account}:security-group/*"
EC2_TAGGABLE = [
    "arn:${Partition}:ec2:*:${Account}:*",
    "arn:${Partition}:ec2:*::image/*",
    "arn:${Partition}:ec2:*::snapshot/*",
]
HUB = "arn:${Partition}:securityhub:*:${Account}:hub/default"


@pytest.fixture(scope="module")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build.write_manifest(tmp_path_factory.mktemp("dist") / "operations.json")


def expected(deployed: list[str], role: str) -> list[str]:
    ops = operations.REGISTRY
    return sorted({a for n in deployed if ops[n].role == role for a in (*ops[n].actions, *ops[n].extra_actions)})


def expected_statements(deployed: list[str], role: str) -> list[dict]:
    return policy_statements([operations.REGISTRY[n] for n in deployed if operations.REGISTRY[n].role == role])


def roles_actions(workdir: Path, manifest: Path, deployed: list[str]) -> dict[str, list]:
    return manifest_module(
        workdir,
        {"manifest_path": str(manifest), "operations": deployed},
        "jsonencode({readonly = local.readonly_actions, admin = local.admin_actions, unknown = local.unknown, "
        "readonly_statements = local.readonly_statements, admin_statements = local.admin_statements})",
    )


@pytest.mark.parametrize(
    "deployed",
    [
        sorted(operations.REGISTRY),
        ["unused-ebs-volumes", "public-ips"],
        ["sg-open-ingress-remediation", "tag-remediation", "tags"],
        ["accounts"],
    ],
    ids=["all", "two-reads", "admin-and-read", "organization-only"],
)
def test_each_role_holds_exactly_the_union_of_the_deployed_operations_actions(
    tmp_path: Path, manifest: Path, deployed: list[str]
) -> None:
    got = roles_actions(tmp_path, manifest, deployed)

    assert {k: got[k] for k in ("readonly", "admin", "unknown")} == {
        "readonly": expected(deployed, "readonly"),
        "admin": expected(deployed, "admin"),
        "unknown": [],
    }
    for role in ("readonly", "admin"):
        statements = got[f"{role}_statements"]
        assert statements == expected_statements(deployed, role)
        # every action in exactly one statement: the statements hold the union, nothing more
        held = [a for s in statements for a in s["actions"]]
        assert sorted(held) == expected(deployed, role)


def test_each_scoped_action_is_on_its_declared_arn_patterns_and_the_rest_on_star(
    tmp_path: Path, manifest: Path
) -> None:
    got = roles_actions(tmp_path, manifest, ["sg-open-ingress-remediation", "tag-remediation", "tags"])

    assert got["readonly_statements"] == [{"actions": ["tag:GetResources"], "resources": ["*"], "condition": {}}]
    assert got["admin_statements"] == [
        {
            "actions": ["ec2:DescribeSecurityGroups", "tag:GetResources", "tag:TagResources"],
            "resources": ["*"],
            "condition": {},
        },
        {"actions": ["ec2:CreateTags"], "resources": EC2_TAGGABLE, "condition": {}},
        {"actions": ["ec2:RevokeSecurityGroupIngress"], "resources": [SG], "condition": {}},
    ]


def test_every_built_in_write_that_supports_a_resource_is_scoped(tmp_path: Path, manifest: Path) -> None:
    got = roles_actions(tmp_path, manifest, sorted(operations.REGISTRY))
    scoped = {a: (s["resources"], s["condition"]) for s in got["admin_statements"] for a in s["actions"]}

    assert scoped["ec2:RevokeSecurityGroupIngress"] == ([SG], {})
    assert scoped["ec2:CreateTags"] == (EC2_TAGGABLE, {})
    for action in (
        "securityhub:BatchDisableStandards",
        "securityhub:BatchEnableStandards",
        "securityhub:GetEnabledStandards",
        "securityhub:UpdateStandardsControl",
        "securityhub:DescribeStandardsControls",
    ):
        assert scoped[action] == ([HUB], {})
    assert scoped["iam:CreateServiceLinkedRole"] == (
        [
            "arn:${Partition}:iam::${Account}:role/aws-service-role/inspector2.amazonaws.com/AWSServiceRoleForAmazonInspector2"
        ],
        {"StringEquals": {"iam:AWSServiceName": ["inspector2.amazonaws.com"]}},
    )
    # the writes AWS authorises on "*" only (IAM database), and the reads
    for action in ("tag:TagResources", "inspector2:Enable", "securityhub:BatchUpdateStandardsControlAssociations"):
        assert scoped[action] == (["*"], {})


def _fake(name: str, **kw: object) -> Operation:
    return Operation(name=name, description="x", role="admin", columns=("a",), run=lambda *a: [], **kw)  # type: ignore[arg-type]


def test_the_union_merges_each_actions_patterns_and_an_unscoped_grant_absorbs_them(tmp_path: Path) -> None:
    # Given three operations granting ec2:CreateTags: on volumes, on instances, and on "*"
    volumes = "arn:${Partition}:ec2:*:${Account}:volume/*"
    instances = "arn:${Partition}:ec2:*:${Account}:instance/*"
    condition = {"StringEquals": {"aws:RequestedRegion": ("eu-west-1",)}}
    ops = {
        "tag-volumes": _fake("tag-volumes", actions=("ec2:CreateTags",), resources={"ec2:CreateTags": (volumes,)}),
        "tag-instances": _fake(
            "tag-instances",
            actions=("ec2:CreateTags", "ec2:DeleteTags"),
            resources={"ec2:CreateTags": (instances,), "ec2:DeleteTags": (instances,)},
        ),
        "tag-anything": _fake("tag-anything", actions=("ec2:CreateTags",)),
        "tag-in-ireland": _fake(
            "tag-in-ireland", actions=("ec2:DeleteTags",), conditions={"ec2:DeleteTags": condition}
        ),
    }
    path = tmp_path / "operations.json"
    path.write_text(json.dumps(operations.manifest(ops)))

    def statements(deployed: list[str]) -> list[dict]:
        got = manifest_module(
            tmp_path, {"manifest_path": str(path), "operations": deployed}, "jsonencode(local.admin_statements)"
        )
        assert got == policy_statements([ops[n] for n in deployed])  # the Python twin agrees
        return got

    # Then the scoped ones are one statement per resource set, their patterns merged per action
    assert statements(["tag-volumes", "tag-instances"]) == [
        {"actions": ["ec2:CreateTags"], "resources": [instances, volumes], "condition": {}},
        {"actions": ["ec2:DeleteTags"], "resources": [instances], "condition": {}},
    ]
    # and the unscoped grant makes CreateTags' patterns redundant: they are dropped
    assert statements(["tag-volumes", "tag-instances", "tag-anything"]) == [
        {"actions": ["ec2:CreateTags"], "resources": ["*"], "condition": {}},
        {"actions": ["ec2:DeleteTags"], "resources": [instances], "condition": {}},
    ]
    # a condition is a grant of its own (it does not widen the scoped one)
    assert statements(["tag-instances", "tag-in-ireland"]) == [
        {
            "actions": ["ec2:DeleteTags"],
            "resources": ["*"],
            "condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}},
        },
        {"actions": ["ec2:CreateTags", "ec2:DeleteTags"], "resources": [instances], "condition": {}},
    ]


def test_an_operation_the_manifest_does_not_have_is_reported(tmp_path: Path, manifest: Path) -> None:
    got = roles_actions(tmp_path, manifest, ["unused-ebs-volumes", "no-such-operation"])
    assert got["unknown"] == ["no-such-operation"]


def test_a_missing_manifest_is_refused_naming_make_package(tmp_path: Path) -> None:
    with pytest.raises(TerraformError, match="run make package"):
        roles_actions(tmp_path, tmp_path / "missing.json", ["unused-ebs-volumes"])


def test_a_manifest_from_before_scoped_resources_is_refused_naming_make_package(tmp_path: Path, manifest: Path) -> None:
    old = json.loads(manifest.read_text())
    old["version"] = 2
    path = tmp_path / "old.json"
    path.write_text(json.dumps(old))

    with pytest.raises(TerraformError) as refused:
        roles_actions(tmp_path, path, ["unused-ebs-volumes"])
    said = " ".join(str(refused.value).replace("│", " ").split())
    assert (
        "an operations.json of an older orgops (before version 3, without scoped resources): run make package" in said
    )


def test_the_derived_policies_fit_iams_size_limit() -> None:
    # IAM: 6,144 characters per managed policy (whitespace not counted), as deployed; the module
    # refuses more (below).
    everything = sorted(operations.REGISTRY)
    for role, base in (("readonly", "DeployedReadOperations"), ("admin", "DeployedAdminOperations")):
        assert deployed_length(expected_statements(everything, role), base) < 6144


LONG_ACTIONS = [f"ec2:DescribeSomethingQuiteLong{i:04d}" for i in range(300)]
LONG_STATEMENTS = [
    {
        "actions": [f"ec2:CreateSomethingQuiteLong{i:04d}"],
        "resources": [f"arn:${{Partition}}:ec2:*:${{Account}}:thing/{i}/*"],
        "condition": {},
    }
    for i in range(120)
]


@pytest.mark.parametrize(
    ("name", "too_many", "fits"),
    [
        ("readonly_actions", LONG_ACTIONS, LONG_ACTIONS[:20]),
        ("admin_actions", LONG_ACTIONS, LONG_ACTIONS[:20]),
        ("readonly_statements", LONG_STATEMENTS, LONG_STATEMENTS[:20]),
        ("admin_statements", LONG_STATEMENTS, LONG_STATEMENTS[:20]),
    ],
)
def test_a_policy_over_iams_size_limit_is_refused_by_terraform_validation(
    tmp_path: Path, name: str, too_many: list, fits: list
) -> None:
    # Given the module's own validation, evaluated by Terraform, and a policy over 6,144 characters
    source = tmp_path / "src"
    source.mkdir()
    (source / "variables.tf").write_text(variable_block(hcl.MODULES / "member-roles" / "variables.tf", name))
    (source / "main.tf").write_text("")
    if name.endswith("statements"):
        assert deployed_length(too_many, "x") > 6144 > deployed_length(fits, "DeployedAdminOperations")

    with pytest.raises(TerraformError) as refused:
        evaluate(
            tmp_path, {name: too_many}, f"jsonencode(var.{name})", module=source, files=("variables.tf", "main.tf")
        )
    said = " ".join(str(refused.value).replace("│", " ").split())  # Terraform wraps its message
    assert "longer than IAM's 6,144 characters per managed policy" in said
    got = evaluate(tmp_path, {name: fits}, f"jsonencode(var.{name})", module=source, files=("variables.tf", "main.tf"))
    assert got == fits


def test_a_per_operation_policy_over_iams_size_limit_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    name = "per_operation_statements"
    (source / "variables.tf").write_text(variable_block(hcl.MODULES / "member-roles" / "variables.tf", name))
    (source / "main.tf").write_text("")

    with pytest.raises(TerraformError) as refused:
        evaluate(
            tmp_path,
            {name: {"big": LONG_STATEMENTS}},
            "jsonencode(var.per_operation_statements)",
            module=source,
            files=("variables.tf", "main.tf"),
        )
    said = " ".join(str(refused.value).replace("│", " ").split())
    assert "An operation's statements make its member role's policy longer than IAM's 6,144 characters" in said
    small = {"small": LONG_STATEMENTS[:20]}
    assert (
        evaluate(
            tmp_path,
            {name: small},
            "jsonencode(var.per_operation_statements)",
            module=source,
            files=("variables.tf", "main.tf"),
        )
        == small
    )


def per_operation(workdir: Path, manifest: Path, deployed: list[str]) -> dict:
    arns = {n: f"arn:aws:iam::111111111111:role/orgops-{n}-worker" for n in deployed}
    return evaluate(
        workdir,
        {"manifest_path": str(manifest), "operations": deployed, "worker_role_arns": arns},
        "jsonencode({template = jsondecode(local.per_operation_template), names = local.per_operation_role_names})",
        module=MODULE,
        files=("variables.tf", "main.tf"),
    )


def test_per_operation_roles_trust_only_their_worker_and_allow_only_their_actions(
    tmp_path: Path, manifest: Path
) -> None:
    deployed = sorted(operations.REGISTRY)
    got = per_operation(tmp_path, manifest, deployed)

    members = [n for n in deployed if operations.REGISTRY[n].role in ("readonly", "admin")]
    assert got["names"] == {n: f"orgops-op-{n}" for n in members}
    resources = got["template"]["Resources"]
    assert len(resources) == 2 * len(members)
    for name in members:
        logical = "".join(w.title() for w in name.split("-"))
        role, policy = resources[f"{logical}Role"], resources[f"{logical}Policy"]
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"AWS": f"arn:aws:iam::111111111111:role/orgops-{name}-worker"}
        assert role["Properties"]["ManagedPolicyArns"] == [{"Ref": f"{logical}Policy"}]
        op = operations.REGISTRY[name]
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statements == cfn_statements(policy_statements([op]), "Operation")
        assert sorted(a for st in statements for a in st["Action"]) == sorted({*op.actions, *op.extra_actions})
        assert "Metadata" not in policy  # no checkov skip: see below
    assert "accounts" not in got["names"]  # the organization operation runs as the org-reader
    sg = resources["SgOpenIngressRemediationPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert sg == [
        {"Sid": "Operation", "Effect": "Allow", "Action": ["ec2:DescribeSecurityGroups"], "Resource": ["*"]},
        {
            "Sid": "OperationScoped1",
            "Effect": "Allow",
            "Action": ["ec2:RevokeSecurityGroupIngress"],
            "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:ec2:*:${AWS::AccountId}:security-group/*"}],
        },
    ]


def test_the_per_operation_template_passes_cfn_lint(tmp_path: Path, manifest: Path) -> None:
    from tests.terraform.tools import run, tool

    template = tmp_path / "per-operation.cfn.json"
    template.write_text(json.dumps(per_operation(tmp_path, manifest, sorted(operations.REGISTRY))["template"]))

    result = run([tool("cfn-lint"), "--format", "json", str(template)])
    assert json.loads(result.stdout or "[]") == []
    assert result.returncode == 0


def test_the_per_operation_template_passes_checkov_without_a_skip(tmp_path: Path, manifest: Path) -> None:
    from tests.terraform.test_tools import _reports
    from tests.terraform.tools import run, tool

    folder = tmp_path / "template"
    folder.mkdir()
    (folder / "per-operation.cfn.json").write_text(
        json.dumps(per_operation(tmp_path, manifest, sorted(operations.REGISTRY))["template"])
    )

    result = run(
        [
            tool("checkov"),
            "--directory",
            folder,
            "--framework",
            "cloudformation",
            "--skip-download",
            "--quiet",
            "--compact",
            "--output",
            "json",
        ],
        env={"PATH": "/usr/bin:/bin", "HOME": "/tmp", "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": ""},
    )
    (report,) = _reports(result.stdout)
    failed = [f"{f['check_id']} {f['resource']}" for f in report["results"]["failed_checks"]]
    assert failed == []
    assert (report["summary"]["skipped"], report["summary"]["parsing_errors"]) == (0, 0)
    assert report["summary"]["passed"] > 100  # the IAM checks ran on every role and policy

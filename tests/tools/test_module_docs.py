"""tools/module_docs.py, the modules' Inputs and Outputs tables from their HCL (python-hcl2)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tools import module_docs

VARIABLES = r"""
variable "name_prefix" {
  type        = string
  description = "Prefix of <every> name | one."
  default     = "orgops"
}

variable "operations" {
  type = map(object({
    role    = optional(string)
    regions = optional(list(string), [])
  }))
  description = <<-EOT
    The deployed operations,
    by name.
  EOT
}

variable "package_path" {
  type        = string
  description = "null: `$${path.root}/../dist/orgops.zip`, \"built\" first."
  default     = null
}

variable "alarms" {
  type        = object({ enabled = optional(bool, true) })
  description = "Alarms."
  default     = { enabled = true, threshold = 5 }
}

variable "accounts" {
  type        = list(string)
  description = "Accounts."
}
"""
OUTPUTS = """
output "topic_arn" {
  description = "The topic."
  value       = "x"
}

output "bucket" {
  description = "The bucket."
  value       = "y"
}
"""


@pytest.fixture
def module(tmp_path: Path) -> Path:
    path = tmp_path / "modules" / "demo"
    path.mkdir(parents=True)
    (path / "variables.tf").write_text(textwrap.dedent(VARIABLES))
    (path / "outputs.tf").write_text(textwrap.dedent(OUTPUTS))
    return path


def _table(text: str, heading: str) -> list[str]:
    section = text.split(f"## {heading}\n\n", 1)[1]
    return [line for line in section.splitlines()[2:] if line.startswith("| ")]


def test_inputs_list_the_required_ones_first_then_by_name(module: Path) -> None:
    inputs, _ = module_docs.read_module(module)

    assert [i.name for i in inputs] == ["accounts", "operations", "alarms", "name_prefix", "package_path"]
    assert [i.default for i in inputs][:2] == [None, None]


def test_types_are_the_hcl_expression_text_and_defaults_are_hcl(module: Path) -> None:
    inputs = {i.name: i for i in module_docs.read_module(module)[0]}

    assert inputs["operations"].type == "map(object({role = optional(string), regions = optional(list(string), [])}))"
    assert inputs["name_prefix"].type == "string"
    assert (inputs["name_prefix"].default, inputs["package_path"].default) == ('"orgops"', "null")
    assert inputs["alarms"].default == "{ enabled = true, threshold = 5 }"


def test_descriptions_are_one_line_of_their_text(module: Path) -> None:
    inputs = {i.name: i for i in module_docs.read_module(module)[0]}

    assert inputs["operations"].description == "The deployed operations, by name."
    assert inputs["package_path"].description == 'null: `${path.root}/../dist/orgops.zip`, "built" first.'


def test_the_tables_escape_pipes_and_angle_brackets_and_mark_required_inputs(module: Path) -> None:
    text = module_docs.render(*module_docs.read_module(module))

    inputs = _table(text, "Inputs")
    assert inputs[0] == "| `accounts` | `list(string)` | required | Accounts. |"
    assert '| `name_prefix` | `string` | `"orgops"` | Prefix of &lt;every&gt; name \\| one. |' in inputs
    assert _table(text, "Outputs") == ["| `bucket` | The bucket. |", "| `topic_arn` | The topic. |"]


def test_check_names_the_stale_readme_and_exits_1(module: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (module / "README.md").write_text(f"# demo\n\n{module_docs.BEGIN}\nold\n{module_docs.END}\n")

    assert module_docs.main(["--check", str(module)]) == 1
    assert f"{module / 'README.md'} is stale" in capsys.readouterr().err


def test_write_replaces_only_the_text_between_the_markers(module: Path) -> None:
    readme = module / "README.md"
    readme.write_text(f"# demo\n\nOwn text.\n\n{module_docs.BEGIN}\nold\n{module_docs.END}\n\nAfter.\n")

    assert module_docs.main(["--write", str(module)]) == 0
    text = readme.read_text()
    assert text.startswith("# demo\n\nOwn text.\n\n<!-- BEGIN_TF_DOCS -->\n## Inputs\n")
    assert text.endswith("<!-- END_TF_DOCS -->\n\nAfter.\n")
    assert module_docs.main(["--check", str(module)]) == 0


def test_write_creates_a_missing_readme_and_check_refuses_one_without_markers(
    module: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert module_docs.main(["--check", str(module)]) == 1
    assert "README.md missing" in capsys.readouterr().err
    assert module_docs.main(["--write", str(module)]) == 0
    assert (module / "README.md").read_text().startswith("# demo\n\n<!-- BEGIN_TF_DOCS -->\n")

    (module / "README.md").write_text("# demo\n")
    assert module_docs.main(["--check", str(module)]) == 1
    assert "has no markers" in capsys.readouterr().err

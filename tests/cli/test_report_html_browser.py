"""``orgops report EXECUTION_ARN --html`` of an emulator run, opened in headless Chromium.

The page Chromium renders, not the text Python wrote: its DOM (``--dump-dom``) holds the key
numbers, a failed account's id and a finding's id, and no element an account name injected; its
screenshot (``--screenshot``) is a PNG of the requested size with the charts' colours in it.

The emulated organization, as ``test_run_e2e`` builds it: "alpha" with unattached volumes in both
regions, "beta" whose member role the StackSet never created (its targets fail), and an account
whose name is a script and whose volume's tag is an ``<img onerror>`` (AWS allows both).

Chromium is Debian's ``chromium`` package: ``make browser`` installs it (``make test`` runs that
first). Without it this test fails, saying so; it is never skipped.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from orgops.cli import app as cli
from orgops.cli.common import EXIT_TARGETS_FAILED
from orgops.emulator import AccountSpec, Emulator, OperationSettings, StackSettings
from orgops.emulator.world import member_session
from tests.cli import png

pytestmark = pytest.mark.e2e

REGIONS = ("eu-west-1", "us-east-1")
SCRIPT_NAME = '<script>document.title="pwned"</script>"><img src=x onerror=document.title="pwned">'
HOSTILE_TAG = ("@evil", '"><img src=x onerror=alert(3)>')
WIDTH, HEIGHT = 1280, 2000
CHROMIUM_MISSING = (
    "chromium is not installed (the HTML report is checked in headless Chromium): `make browser` installs "
    "Debian's chromium package (apt-get install chromium, with sudo when not root)"
)
# The colours orgops.cli.html draws: succeeded and failed targets (the status bar), the findings' bars.
GREEN, RED, BLUE = (0x2E, 0x9E, 0x55), (0xD0, 0x45, 0x3B), (0x2F, 0x6F, 0xB0)


@dataclass(frozen=True)
class Run:
    emu: Emulator
    arn: str
    summary: dict
    alpha: str
    beta: str
    evil: str
    volume_ids: list[str]

    def start(self, name: str) -> str:
        """Run unused-ebs-volumes (its deployed default regions, every account) to the end; its ARN."""
        sfn = self.emu.session().client("stepfunctions")
        machine = self.emu.stack.state_machines["unused-ebs-volumes"]
        arn = str(sfn.start_execution(stateMachineArn=machine, name=name)["executionArn"])
        while sfn.describe_execution(executionArn=arn)["status"] == "RUNNING":
            time.sleep(0.05)
        return arn


@pytest.fixture(scope="module")
def run() -> Iterator[Run]:
    """One run of unused-ebs-volumes with failed targets, on the emulator (the CLI against its endpoint)."""
    settings = StackSettings(defaults=OperationSettings(regions=REGIONS))
    with Emulator.in_process(operations=("unused-ebs-volumes",), settings=settings) as emu:
        world = emu.build_organization((AccountSpec("alpha"), AccountSpec("beta", member_roles=False)))
        org = emu.session().client("organizations")
        evil = org.create_account(AccountName=SCRIPT_NAME, Email="evil@example.com")["CreateAccountStatus"]["AccountId"]
        volumes = []
        for account, region in ((world.account_id("alpha"), "eu-west-1"), (world.account_id("alpha"), "us-east-1")):
            ec2 = member_session(emu.session(), account).client("ec2", region_name=region)
            volumes.append(ec2.create_volume(Size=5, AvailabilityZone=f"{region}a")["VolumeId"])
        ec2 = member_session(emu.session(), evil).client("ec2", region_name="eu-west-1")
        tags = [{"ResourceType": "volume", "Tags": [{"Key": HOSTILE_TAG[0], "Value": HOSTILE_TAG[1]}]}]
        volumes.append(ec2.create_volume(Size=5, AvailabilityZone="eu-west-1a", TagSpecifications=tags)["VolumeId"])
        first = Run(emu, "", {}, world.account_id("alpha"), world.account_id("beta"), evil, volumes)
        arn = first.start("html-1")
        output = emu.session().client("stepfunctions").describe_execution(executionArn=arn)["output"]
        yield dataclasses.replace(first, arn=arn, summary=json.loads(output))


def chromium() -> str:
    found = shutil.which("chromium")
    if found is None:
        pytest.fail(CHROMIUM_MISSING, pytrace=False)
    return found


def headless(page: Path, profile: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run on ``page`` (its own profile folder: nothing of the user's is read)."""
    argv = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        # No network here: without these Chromium keeps trying Google's hosts at every start.
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
    ]
    return subprocess.run(
        [*argv, f"--window-size={WIDTH},{HEIGHT}", *mode, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


class Dom(HTMLParser):
    """The elements and the text of the DOM Chromium dumped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.titles: list[str] = []  # the page's, then the charts' tooltips (SVG <title>)
        self.text: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_title = tag == "title"
        if self._in_title:
            self.titles.append("")

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles[-1] += data
        self.text.append(data)


def test_the_html_report_renders_in_headless_chromium(
    run: Run, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a finished run whose report step wrote the report files to the data bucket
    assert run.summary["Failed"] == 2
    # When orgops downloads it with --html
    code = cli.main(["report", run.arn, "--html", "--out", str(tmp_path / "report"), "--poll-seconds", "0.05"])
    assert code == EXIT_TARGETS_FAILED
    page = tmp_path / "report" / "report.html"
    assert f"saved      {page}\n" in capsys.readouterr().out

    # Then headless Chromium renders it: the DOM after parsing, and a screenshot
    started = time.monotonic()
    dumped = headless(page, tmp_path / "profile", "--dump-dom").stdout
    shot = tmp_path / "report.png"
    headless(page, tmp_path / "profile", f"--screenshot={shot}")
    took = time.monotonic() - started
    assert took < 60, f"two Chromium launches took {took:.1f} s"

    dom = Dom()
    dom.feed(dumped)
    text = " ".join(t.strip() for t in dom.text if t.strip())
    summary = run.summary
    assert (summary["Targets"], summary["Failed"], summary["Rows"]) == (8, 2, 3)
    assert f"{summary['Targets']} targets" in text
    assert f"{summary['Succeeded']} succeeded" in text
    assert f"{summary['Failed']} failed" in text
    assert f"{summary['Rows']} rows" in text
    assert run.beta in text  # a failed target's account, in the failed targets table
    assert "AccessDenied" in text
    assert all(volume in text for volume in run.volume_ids)  # every finding's id, in the rows table
    assert "no earlier run to compare with" in text or "changes" in dom.tags

    # The script in an account name is text: no element came of it, it never ran (the title is orgops')
    assert SCRIPT_NAME in text
    assert dom.tags.count("script") == 0 and dom.tags.count("img") == 0
    assert dom.titles[0] == "orgops unused-ebs-volumes: html-1"
    assert "&lt;script&gt;document.title" in dumped

    # The screenshot: a PNG of the window's size, not blank, with the status bar and the bars drawn
    image = png.read(shot.read_bytes(), max_rows=600)
    assert (image.width, image.height) == (WIDTH, HEIGHT)
    colours = image.pixels()
    assert len(colours) > 50, "the screenshot is (nearly) one colour"
    assert {GREEN, RED, BLUE} <= colours


def test_a_second_run_shows_the_changes_since_the_first(run: Run, tmp_path: Path) -> None:
    # Given the first run, and since then one more unattached volume in alpha
    ec2 = member_session(run.emu.session(), run.alpha).client("ec2", region_name="us-east-1")
    added = ec2.create_volume(Size=1, AvailabilityZone="us-east-1a")["VolumeId"]
    # When the same selection runs again and its report is rendered
    arn = run.start("html-2")
    assert cli.main(["report", arn, "--html", "--out", str(tmp_path), "--poll-seconds", "0.05"]) == EXIT_TARGETS_FAILED
    # Then the page shows changes.csv as the report step wrote it: the new volume, added
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert (tmp_path / "changes.csv").is_file()
    changes = page[page.index('<table id="changes">') :]
    changes = changes[: changes.index("</table>")]
    assert "<th>change</th>" in changes and added in changes and "<td>added</td>" in changes
    assert "no earlier run to compare with" not in page
    assert "html-1" in page[page.index('id="changes-lead"') :]


def test_without_chromium_the_test_fails_saying_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)

    with pytest.raises(pytest.fail.Exception, match=r"`make browser` installs Debian's chromium package"):
        chromium()

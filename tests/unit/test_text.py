"""Messages made safe: values shown bounded and escaped, kinds in words, credentials scrubbed."""

from __future__ import annotations

import pytest

from orgops.text import escape_controls, kind, safe_message, scrub, show

# What botocore's HTTPClientError once put into errors.csv for a malformed region with an endpoint override.
SIGNED = (
    "An HTTP Client raised an unhandled exception: Invalid header value "
    "b'AWS4-HMAC-SHA256 Credential=ASIAQWERTYUIOPASDFGH/20261201/eu-west-1\\n/ec2/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, "
    "Signature=3f1c0de2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4'"
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "a boolean"),
        (3, "a number"),
        (2.5, "a number"),
        ("x", "a string"),
        ([1], "a list"),
        ({}, "an object"),
    ],
)
def test_kind_names_json_types_never_python_ones(value, expected) -> None:
    assert kind(value) == expected


def test_show_is_json_escaped_and_bounded_with_the_full_length() -> None:
    assert show("eu-west-1") == '"eu-west-1"'
    assert show("\x1b[31mred\n") == '"\\u001b[31mred\\n"'
    assert show("x" * 100_000) == '"' + "x" * 79 + "… (100002 characters)"
    assert show({"a": [1, None]}) == '{"a": [1, null]}'


def test_control_characters_are_escaped_so_a_terminal_never_runs_them() -> None:
    assert escape_controls("a\x1b]0;title\x07b\u2028c\x85") == "a\\u001b]0;title\\u0007b\\u2028c\\u0085"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (SIGNED, "ASIAQWERTYUIOPASDFGH"),
        (SIGNED, "3f1c0de2c1b0a9f8e7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4"),
        ("key AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE"),
        (
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        ),
        ("X-Amz-Security-Token: IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJH", "IQoJb3JpZ2luX2VjEJr"),
        ('{"SessionToken": "FwoGZXIvYXdzEJr//////////wEaDGV4YW1wbGV0b2tlbg=="}', "FwoGZXIvYXdzEJr"),
        ("Authorization: AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=abc", "AWS4-HMAC-SHA256"),
        ("https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAX%2F20261201&X-Amz-Signature=deadbeef00", "deadbeef00"),
    ],
)
def test_scrub_removes_every_credential_like_part(text: str, secret: str) -> None:
    scrubbed = scrub(text)
    assert secret not in scrubbed
    assert "[redacted]" in scrubbed


def test_scrub_keeps_ordinary_messages() -> None:
    message = (
        "An error occurred (AccessDenied) when calling the AssumeRole operation: "
        "not authorized on arn:aws:iam::111111111111:role/x"
    )
    assert scrub(message) == message


def test_safe_message_scrubs_escapes_and_bounds() -> None:
    message = safe_message(SIGNED + "\n" + "y" * 2000)

    full = escape_controls(scrub(SIGNED + "\n" + "y" * 2000))
    assert message == full[:1000] + f"… ({len(full)} characters)"
    assert "ASIAQWERTYUIOPASDFGH" not in message
    assert "\n" not in message

"""What orgops puts in front of people: values shown in messages, and messages made safe.

- ``kind``: a value's JSON type in words ("a string", "a number"), never a Python type name.
- ``show``: a value as it appears in a message: JSON, control characters escaped, cut to a
  bounded length with the full length said.
- ``scrub``: removes anything that looks like a credential (access key ids, secret keys,
  signatures, Authorization headers, session tokens): the one function every message that can
  reach a report, a log line or a notification goes through.
- ``safe_message``: ``scrub``, control characters escaped, bounded.
"""

from __future__ import annotations

import json
import re
from typing import Any

SHOW_LIMIT = 80
MESSAGE_LIMIT = 1000
REDACTED = "[redacted]"

# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CREDENTIALS = (
    # Authorization: AWS4-HMAC-SHA256 Credential=AKIA.../..., SignedHeaders=..., Signature=...
    re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)[^'\"\n,}]*(?:,[^'\"\n,}]*)*"),
    re.compile(r"(?i)(x-amz-security-token['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9/+=%]+"),
    re.compile(r"(?i)(x-amz-credential['\"]?\s*[:=]\s*['\"]?)[A-Za-z0-9/%_-]+"),
    re.compile(r"(?i)(x-amz-signature['\"]?\s*[:=]\s*['\"]?)[0-9a-f]+"),
    re.compile(r"(?i)(signature\s*=\s*)[0-9a-f]{16,}"),
    re.compile(
        r"(?i)((?:aws_)?(?:secret_access_key|secretaccesskey|session_token|sessiontoken|secret)['\"]?\s*[:=]\s*['\"]?)"
        r"[A-Za-z0-9/+=]{16,}"
    ),
    # Access key ids of users (AKIA), roles and sessions (ASIA), and the other IAM unique ids.
    re.compile(r"()\b(?:AKIA|ASIA|AIDA|AROA|ANPA|ANVA|APKA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    # STS session tokens are long base64 blobs (IQoJb3JpZ2lu..., FwoGZXIvYXdz...).
    re.compile(r"()\b(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+=]+"),
)


def kind(value: Any) -> str:
    """The value's JSON type in words: "null", "a boolean", "a number", "a string", "a list", "an object"."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a value of another kind"


def escape_controls(text: str) -> str:
    """Control characters as JSON escapes (``\\n``, ``\\u001b``): a terminal shows them, never runs them."""
    return _CONTROL.sub(lambda m: json.dumps(m.group(0))[1:-1], text)


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"


def show(value: Any, limit: int = SHOW_LIMIT) -> str:
    """``value`` for a message: JSON (a string in double quotes), escaped, at most ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        text = kind(value)
    return cut(escape_controls(scrub(text)), limit)


def scrub(text: str) -> str:
    """``text`` with every credential-like part replaced by ``[redacted]``."""
    for pattern in _CREDENTIALS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED, text)
    return text


def safe_message(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """A message fit for a report, a log line or a notification: scrubbed, escaped, bounded."""
    return cut(escape_controls(scrub(text)), limit)


_PLAIN_KEY = re.compile(r"\A[\w.:/=+\-@]{1,128}\Z")


def field_path(where: str, key: Any) -> str:
    """The path of ``key`` under ``where`` (``Params.Days``); an empty or odd key in JSON's quotes
    (``$[""]``, ``Accounts.Tags["a b"]``), so every refusal names a field a person can find."""
    text = str(key)
    if _PLAIN_KEY.match(text):
        return f"{where}.{text}" if where else text
    return f"{where or '$'}[{show(text, SHOW_LIMIT)}]"

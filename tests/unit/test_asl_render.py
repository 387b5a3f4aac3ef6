from __future__ import annotations

import pytest

from orgops import asl


def test_render_fills_whole_values_and_keeps_double_dollar_paths() -> None:
    text = '{"a": "${name}", "n": ${count}, "p.$": "$$.Map.Item.Value"}'
    assert asl.render(text, {"name": "x", "count": 3}) == '{"a": "x", "n": 3, "p.$": "$$.Map.Item.Value"}'


def test_render_fails_on_a_placeholder_it_was_not_given() -> None:
    with pytest.raises(asl.TemplateError, match=r"missing \['count'\]"):
        asl.render('{"a": "${name}", "n": ${count}}', {"name": "x"})


def test_render_fails_on_a_variable_the_template_does_not_use() -> None:
    with pytest.raises(asl.TemplateError, match=r"not in the template \['other'\]"):
        asl.render('{"a": "${name}"}', {"name": "x", "other": 1})

"""Writing the builders' output as Terraform string templates: literals stay literal, references interpolate."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.coder_template.terraform import escape, interpolation, ref, render
from tests.terraform_templates_double import evaluate

# text rich in what templates treat specially
TEXT = st.text(alphabet=st.sampled_from(["$", "%", "{", "}", "a", "\n", '"', "\\"]), max_size=30) | st.text(max_size=30)


@given(TEXT.filter(lambda t: "\x00" not in t))
def test_a_literal_reads_back_as_itself(text: str) -> None:
    assert evaluate(render(text), {}) == text


@given(TEXT.filter(lambda t: "\x00" not in t and not t.endswith("$")), TEXT.filter(lambda t: "\x00" not in t))
def test_a_reference_between_literals(before: str, after: str) -> None:
    written = render(f"{before}{ref('data.coder_parameter.cpus.value')}{after}")
    assert written == f"{escape(before)}${{data.coder_parameter.cpus.value}}{escape(after)}"
    assert evaluate(written, {"data.coder_parameter.cpus.value": "4"}) == f"{before}4{after}"


def test_known_escapes() -> None:
    assert escape("${HOME} %{if} $HOME 100%") == "$${HOME} %%{if} $HOME 100%"
    # a whole value that is one interpolation keeps its type in Terraform
    assert (
        evaluate(interpolation("data.coder_workspace.me.start_count"), {"data.coder_workspace.me.start_count": 1}) == 1
    )


def test_structures_are_rendered_throughout() -> None:
    manifest = {"a": [{"b": "${x}", "c": ref("var.y")}], "n": 0, "t": True, "z": None}
    assert render(manifest) == {"a": [{"b": "$${x}", "c": "${var.y}"}], "n": 0, "t": True, "z": None}


@pytest.mark.parametrize("key", ["${x}", "%{x}", ref("var.y")])
def test_a_key_that_a_template_would_change_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="object keys"):
        render({key: 1})


def test_an_unclosed_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="unclosed"):
        render(ref("var.y")[:-1])


def test_a_dollar_right_before_a_reference_is_refused() -> None:
    # "$" + "${var.y}" would be written "$${var.y}", which Terraform reads as the literal "${var.y}"
    with pytest.raises(ValueError, match="right before"):
        render(f"cost: ${ref('var.y')}")

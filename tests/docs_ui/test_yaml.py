"""The YAML emitter behind ``openapi.yaml`` (``django_bolt.openapi._yaml``): what it writes for
each kind of JSON value, and that PyYAML reads every JSON document back as the same data."""

from __future__ import annotations

import json
import math

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from django_bolt.openapi._yaml import dump

# (value, exact YAML, why)
CASES = [
    ({"a": 1}, "a: 1\n", "a plain key and an int"),
    ({"t": True, "f": False, "z": None}, "t: true\nf: false\nz: null\n", "bools and null"),
    (
        {"a": 1.5, "b": 1e30, "c": 1e-7},
        "a: 1.5\nb: 1.0e+30\nc: 1.0e-07\n",
        "floats keep a '.' (YAML 1.1 reads 1e+30 as text)",
    ),
    ({"p": math.inf, "m": -math.inf}, "p: .inf\nm: -.inf\n", "non-finite floats"),
    ({"y": 1, "n": 2, "inf": 3}, '"y": 1\n"n": 2\n"inf": 3\n', "keys some parser reads as bool or float are quoted"),
    ({"v": "3.1.0"}, 'v: "3.1.0"\n', "a string that looks numeric is quoted"),
    ({"v": "yes", "w": "Off", "u": "null"}, 'v: "yes"\nw: "Off"\nu: "null"\n', "words YAML 1.1 reads as bool/null"),
    ({"200": {}}, '"200": {}\n', "numeric key quoted; empty mapping inline"),
    ({"tags": []}, "tags: []\n", "empty sequence inline"),
    ({"/items/{id}": "x"}, "/items/{id}: x\n", "paths with braces stay plain in block context"),
    ({"s": ""}, 's: ""\n', "the empty string"),
    ({"s": "a: b # c"}, 's: "a: b # c"\n', "indicators inside a string force quotes"),
    ({"s": 'say "hi" \\ now'}, 's: "say \\"hi\\" \\\\ now"\n', "quotes and backslashes escaped"),
    ({"s": "tab\there"}, 's: "tab\\there"\n', "a tab is escaped"),
    ({"s": "\x7f\x85\u2028\ufeff"}, 's: "\\x7f\\x85\\u2028\\ufeff"\n', "DEL, NEL, line separator and BOM escaped"),
    ({"s": "é😀"}, 's: "é😀"\n', "printable non-ASCII kept raw"),
    ({"d": "one\ntwo\n"}, "d: |\n  one\n  two\n", "multi-line text as a literal block (clip)"),
    ({"d": "one\n\n  two"}, "d: |-\n  one\n\n    two\n", "no final newline: strip; blank and indented lines kept"),
    ({"d": " lead\nx"}, 'd: " lead\\nx"\n', "a leading space would need an indentation indicator: quoted"),
    ({"d": "x\n\n"}, 'd: "x\\n\\n"\n', "several final newlines: quoted"),
    ({"l": [1, [2, 3], {"a": 1, "b": [4]}]}, "l:\n  - 1\n  - - 2\n    - 3\n  - a: 1\n    b:\n      - 4\n", "nesting"),
    ([{"a": "x\ny"}], "- a: |-\n    x\n    y\n", "a literal block inside a sequence item"),
]


@pytest.mark.parametrize("value, text, why", CASES, ids=[c[2] for c in CASES])
def test_emits(value, text, why):
    assert dump(value) == text, why
    assert yaml.safe_load(text) == value, why


def test_a_key_over_the_implicit_key_limit_uses_the_explicit_form():
    key = "k" * 1100
    text = dump({key: {"a": 1}})
    assert text.startswith(f'? "{key}"\n:\n  a: 1\n')
    assert yaml.safe_load(text) == {key: {"a": 1}}


def test_non_json_values_are_refused_with_their_place():
    with pytest.raises(TypeError, match=r"\$\.paths\[0\]: set is not JSON data"):
        dump({"paths": [{1}]})
    with pytest.raises(TypeError, match="key 1 is not a str"):
        dump({1: "x"})


JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(JSON_VALUES)
def test_reads_back_as_the_same_data(value):
    back = yaml.safe_load(dump(value))
    # Compared as JSON text: -0.0 == 0.0 would hide a lost sign, and dict order must survive.
    assert json.dumps(back) == json.dumps(value)

"""The shared fuzz settings import from any test module of this folder."""

from fuzzing import FUZZ_EXAMPLES, fuzz
from hypothesis import given
from hypothesis import strategies as st

from critmin.datafile import parse_data
from critmin.errors import InputError


@fuzz
@given(st.text(max_size=300))
def test_datafile_yaml_never_raises_anything_but_input_error(text):
    try:
        parse_data(text, "fuzz.yaml")
    except InputError:
        pass


@fuzz
@given(st.text(max_size=300))
def test_datafile_json_never_raises_anything_but_input_error(text):
    try:
        parse_data(text, "fuzz.json", fmt="json")
    except InputError:
        pass


def test_fuzz_examples_is_positive():
    assert FUZZ_EXAMPLES > 0

"""Property test: whatever JSON a definition holds, the compiler returns a query or raises ``InvalidSegment`` (a
Russian message), never anything else."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm.segments.compiler import InvalidSegment, compile_segment
from crm.segments.fields import FIELDS, OPERATORS
from crm.segments.services import parse_definition

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=12)
)
values = st.recursive(
    scalars | st.sampled_from(["2026-01-01", "0001-01-01", "9999-12-31", "spb", "78", "1e3", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
conditions = st.fixed_dictionaries(
    {
        "field": st.sampled_from(sorted(FIELDS)) | values,
        "operator": st.sampled_from(sorted(OPERATORS)) | values,
        "value": values,
    },
    optional={"extra": values},
)
definitions = (
    st.recursive(
        st.fixed_dictionaries(
            {"op": st.sampled_from(["and", "or"]) | values, "conditions": st.lists(conditions, max_size=3)}
        ),
        lambda inner: st.fixed_dictionaries(
            {"op": st.sampled_from(["and", "or"]) | values, "conditions": st.lists(inner | conditions, max_size=3)}
        ),
        max_leaves=6,
    )
    | values
)


@FUZZ
@given(definitions)
def test_the_compiler_returns_a_query_or_refuses_in_words(definition) -> None:  # type: ignore[no-untyped-def]
    try:
        compile_segment(definition)
    except InvalidSegment as refused:
        assert str(refused)


@FUZZ
@given(st.text(max_size=200) | definitions.map(lambda d: json.dumps(d, allow_nan=False)))
def test_a_definition_from_text_is_parsed_or_refused(text: str) -> None:
    try:
        parse_definition(text)
    except InvalidSegment as refused:
        assert str(refused)

"""What the suite's fuzzers share: hypothesis settings and strategies for hostile input.

The fuzzers (tests/api/test_schemathesis.py, tests/api/test_order_body_fuzz.py,
tests/catalog/test_import_fuzz.py) run a bounded number of examples, so the suite keeps its
time: FUZZ_EXAMPLES (environment) sets how many; derandomized, so a run is the same every time
and a failure reproduces by running the test again (hypothesis prints the failing example and
a @reproduce_failure blob). For a longer, random search: FUZZ_EXAMPLES=2000 FUZZ_RANDOM=1.

The strategies send what used to crash the application (issue 15): NUL characters, lone
surrogates, integers beyond any database column; core/input_guard.py answers them with a 400.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0")) or None


def fuzz_settings(examples: int) -> settings:
    """`examples` cases (or FUZZ_EXAMPLES), the same ones on every run unless FUZZ_RANDOM=1."""
    return settings(
        max_examples=EXAMPLES or examples,
        deadline=None,
        derandomize=os.environ.get("FUZZ_RANDOM") != "1",
        database=None,
        print_blob=True,
        # The app and its data are made once per test, not per example (examples roll back or
        # leave only what a client could leave); building every case through the app is slow.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def characters() -> st.SearchStrategy[str]:
    """Any character: NUL and lone surrogates included."""
    return st.characters()


def texts(min_size: int = 0, max_size: int | None = 40) -> st.SearchStrategy[str]:
    return st.text(characters(), min_size=min_size, max_size=max_size)


def integers() -> st.SearchStrategy[int]:
    """Any integer, far beyond 64 bits included."""
    return st.integers()


def json_values(max_leaves: int = 10) -> st.SearchStrategy:
    """Any JSON value: scalars, lists and objects nested a few levels."""
    scalars = st.none() | st.booleans() | integers() | st.floats(allow_nan=False, allow_infinity=False) | texts()
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts(max_size=12), inner, max_size=4),
        max_leaves=max_leaves,
    )

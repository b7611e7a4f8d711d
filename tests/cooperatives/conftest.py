import pytest

from tests.cooperatives.helpers import fast_passwords  # noqa: F401


@pytest.fixture(autouse=True)
def _fast_passwords(fast_passwords):
    """Every test here creates several users; none signs in with a password."""

"""Shared fixtures: every crypto-touching test runs once per crypto backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from codec_support import BACKENDS, CountingBackend
from hypothesis import HealthCheck, settings

import tuyaface_codec
from tuyaface_codec import CryptoBackend
from tuyaface_codec.plugins import use_plugin_manager

# pycryptodome's GCM is slow and a run's first call slower still, so there is no per-example
# deadline; example counts keep `tox -e codec` well under a minute. The `crypto` fixture is a
# stateless backend object, so sharing it between a test's examples is safe.
settings.register_profile(
    "codec",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("codec")


@pytest.fixture(params=BACKENDS)
def crypto(request: pytest.FixtureRequest) -> CryptoBackend:
    """Each crypto backend in turn, as the plugin registry provides it."""
    return tuyaface_codec.get_backend(request.param)


@pytest.fixture
def counting(crypto: CryptoBackend) -> CountingBackend:
    """The current backend wrapped to count calls (R6)."""
    return CountingBackend(crypto)


@pytest.fixture
def fresh_plugins() -> Iterator[None]:
    """A test that registers or blocks plugins gets its own process-wide manager; the default
    one is built again on first use afterwards."""
    use_plugin_manager(None)
    yield
    use_plugin_manager(None)

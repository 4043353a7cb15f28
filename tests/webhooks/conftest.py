"""The webhook tests' receiver: a local endpoint, with private URLs allowed for the test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import Receiver


@pytest.fixture
def receiver(settings_env: pytest.MonkeyPatch) -> Iterator[Receiver]:
    settings_env.setenv("CLAIMDESK_ALLOW_PRIVATE_URLS", "true")
    from app.config import get_settings

    get_settings.cache_clear()
    r = Receiver()
    yield r
    r.close()

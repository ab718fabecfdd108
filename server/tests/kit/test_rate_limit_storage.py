"""Rate limits shared between processes through Redis: two limiters (two API processes) with the
same storage share one allowance."""

from __future__ import annotations

import os
import uuid

import pytest

from userlink.kit.ratelimit import RateLimiter

REDIS_ENV = "USERLINK_TEST_REDIS_URL"


@pytest.fixture
def redis_url():
    url = os.environ.get(REDIS_ENV)
    if not url:
        pytest.skip(f"Redis tests skipped: set {REDIS_ENV}=redis://127.0.0.1:6379/15 to run them")
    return url


def test_two_processes_on_one_redis_share_one_allowance(redis_url):
    first, second = RateLimiter(redis_url), RateLimiter(redis_url)
    client = str(uuid.uuid4())

    answers = [
        limiter.hit("3/minute", "redeem", client) for limiter in (first, second, first, second)
    ]

    assert answers[:3] == [None, None, None]
    assert answers[3] is not None
    assert answers[3] >= 1


def test_limits_in_memory_are_per_process():
    first, second = RateLimiter("memory://"), RateLimiter("memory://")
    client = str(uuid.uuid4())

    answers = [limiter.hit("1/minute", "redeem", client) for limiter in (first, second)]

    assert answers == [None, None]

"""The pure rules of webhooks: the retry schedule (properties), URLs and addresses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from userlink.webhooks import rules

START = datetime(2026, 11, 29, tzinfo=UTC)
moments = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=4)).map(
    lambda offset: START + offset
)
attempts = st.integers(min_value=1, max_value=10_000)
draws = st.floats(min_value=0, max_value=1, exclude_max=True)


@given(moments, attempts, draws)
def test_a_retry_is_later_than_now_and_never_beyond_3_days(
    now: datetime, failed: int, rand: float
) -> None:
    due = rules.next_attempt_at(START, failed, now, rand)

    if now >= START + rules.RETRY_HORIZON:
        assert due is None
    else:
        assert due is not None
        assert now < due <= START + rules.RETRY_HORIZON


@given(attempts, draws)
def test_a_retry_waits_the_nominal_delay_within_the_jitter(failed: int, rand: float) -> None:
    nominal = rules.nominal_retry_delay(failed)

    due = rules.next_attempt_at(START, failed, START, rand)

    assert due is not None
    wait = min(nominal * (1 - rules.JITTER), rules.RETRY_HORIZON)
    assert min(wait, rules.RETRY_HORIZON) <= due - START <= nominal * (1 + rules.JITTER)


@given(attempts)
def test_the_nominal_delay_grows_exponentially_up_to_its_cap(failed: int) -> None:
    now, later = rules.nominal_retry_delay(failed), rules.nominal_retry_delay(failed + 1)

    assert now <= later <= rules.MAX_RETRY_DELAY
    assert later == min(now * rules.RETRY_FACTOR, rules.MAX_RETRY_DELAY)


@given(draws)
def test_failing_forever_ends_in_a_dead_letter_within_3_days(rand: float) -> None:
    now, failed = START, 0
    while True:
        failed += 1
        due = rules.next_attempt_at(START, failed, now, rand)
        if due is None:
            break
        now = due
    assert now == START + rules.RETRY_HORIZON
    assert 8 < failed < 40


def test_only_public_addresses_are_public() -> None:
    assert rules.is_public_address("93.184.216.34")
    assert rules.is_public_address("2606:2800:220:1:248:1893:25c8:1946")
    for private in [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",  # noqa: S104 - an address judged, not bound
        "224.0.0.1",
        "100.64.0.1",
        "not an address",
    ]:
        assert not rules.is_public_address(private), private


def test_in_development_http_and_local_hosts_are_acceptable() -> None:
    assert rules.url_is_acceptable("http://127.0.0.1:8001/hooks", insecure_allowed=True)
    assert not rules.url_is_acceptable("http://127.0.0.1:8001/hooks", insecure_allowed=False)
    assert not rules.url_is_acceptable("ftp://example.com/", insecure_allowed=True)

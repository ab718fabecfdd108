"""Property tests of the pure rules (`rules.py` of each domain): what a redemption may do, who may
link what, which install is active and whether it is effectively active, what a refresh token
may do. No server: the rules are plain functions."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st
from pydantic_core import PydanticSerializationError, to_json
from sqlalchemy.dialects import sqlite

from userlink.auth_codes.rules import RedemptionOutcome, StoredCode, redemption_outcome
from userlink.installs import rules as installs
from userlink.installs.rules import DeviceClass, InstallFacts, LinkStep
from userlink.models import payloads
from userlink.payloads import rules as payload_rules
from userlink.payloads.repository import sqlite_moment_text
from userlink.sdk_credentials.rules import RefreshDecision, refresh_decision

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
moments = st.integers(min_value=-10_000, max_value=10_000).map(
    lambda seconds: NOW + timedelta(seconds=seconds)
)
ids = st.uuids(version=4)
nonces = st.sampled_from(["a" * 64, "b" * 64])

install_facts = st.builds(
    InstallFacts, id=ids, device_class=st.sampled_from(list(DeviceClass)), created_at=moments
)
live_installs = st.lists(install_facts, max_size=6, unique_by=lambda f: f.id)


@given(live_installs)
def test_exactly_one_install_is_active_when_any_is_live(live):
    plan = installs.assign_activity(live)

    assert sum(activity.is_active for activity in plan.values()) == (1 if live else 0)
    assert set(plan) == {f.id for f in live}


@given(live_installs)
def test_a_phone_is_active_whenever_the_user_has_one(live):
    plan = installs.assign_activity(live)
    active = [f for f in live if plan[f.id].is_active]

    if any(f.device_class is DeviceClass.PHONE for f in live):
        assert active[0].device_class is DeviceClass.PHONE


@given(live_installs)
def test_the_active_install_is_the_newest_of_its_class(live):
    plan = installs.assign_activity(live)
    active = [f for f in live if plan[f.id].is_active]

    if active:
        same_class = [f for f in live if f.device_class is active[0].device_class]
        assert active[0].created_at == max(f.created_at for f in same_class)


@given(live_installs, st.randoms())
def test_the_choice_does_not_depend_on_the_order_installs_are_listed(live, random):
    shuffled = list(live)
    random.shuffle(shuffled)

    assert installs.assign_activity(shuffled) == installs.assign_activity(live)


@given(live_installs)
def test_every_inactive_install_says_why(live):
    plan = installs.assign_activity(live)

    for activity in plan.values():
        assert (activity.inactive_reason is None) == activity.is_active


@given(live_installs)
def test_a_tablet_beaten_by_a_phone_says_so(live):
    plan = installs.assign_activity(live)
    active = [f for f in live if plan[f.id].is_active]

    for f in live:
        beaten_by_phone = (
            f.device_class is DeviceClass.TABLET and active[0].device_class is DeviceClass.PHONE
        )
        if beaten_by_phone:
            reason = installs.InactiveReason.PHONE_PREFERRED_OVER_TABLET
            assert plan[f.id].inactive_reason is reason


@given(st.lists(install_facts, min_size=1, max_size=6, unique_by=lambda f: f.id), install_facts)
def test_a_newcomer_that_takes_the_role_displaces_the_active_install(live, newcomer):
    before = installs.assign_activity(live)
    was_active = next(i for i, activity in before.items() if activity.is_active)
    after = installs.assign_activity([*live, newcomer])

    displaced = installs.displacement(was_active, after)

    if after[newcomer.id].is_active:
        assert displaced is not None
        assert (displaced.displaced, displaced.new_active) == (was_active, newcomer.id)
    else:
        assert displaced is None


@given(install_facts, install_facts)
def test_the_displacement_reason_is_phone_over_tablet_only_for_a_tablet_beaten_by_a_phone(
    active, newcomer
):
    after = installs.assign_activity([active, newcomer])

    displaced = installs.displacement(active.id, after)

    if displaced is not None:
        tablet_beaten_by_phone = (
            active.device_class is DeviceClass.TABLET and newcomer.device_class is DeviceClass.PHONE
        )
        expected = (
            installs.DisplacementReason.PHONE_OVER_TABLET
            if tablet_beaten_by_phone
            else installs.DisplacementReason.NEWER_INSTALL
        )
        assert displaced.reason is expected


@given(live_installs)
def test_an_install_that_ends_or_keeps_the_role_is_not_displaced(live):
    plan = installs.assign_activity(live)
    active = next((i for i, activity in plan.items() if activity.is_active), None)

    assert installs.displacement(active, plan) is None
    if active is not None:
        remaining = installs.assign_activity([f for f in live if f.id != active])
        assert installs.displacement(active, remaining) is None


@given(st.booleans(), st.sampled_from([None, "NEWER_INSTALL_ACTIVE"]))
def test_a_remote_disabled_app_silences_every_install(is_active, reason):
    assert installs.effective_activity(is_active, reason, app_enabled=False) == (
        False,
        installs.APP_DISABLED,
    )


@given(st.booleans())
def test_an_enabled_app_leaves_the_install_its_own_flag(is_active):
    reason = None if is_active else "NEWER_INSTALL_ACTIVE"

    assert installs.effective_activity(is_active, reason, app_enabled=True) == (is_active, reason)


codes = st.builds(
    StoredCode,
    app_id=st.sampled_from([uuid.UUID(int=1), uuid.UUID(int=2)]),
    expires_at=moments,
    redeemed_at=st.none() | moments,
    redemption_nonce_hash=st.none() | nonces,
)
presented_apps = st.sampled_from([None, uuid.UUID(int=1), uuid.UUID(int=2)])


def outcome(code, nonce, app_id, window=60):
    return redemption_outcome(
        code,
        presented_nonce_hash=nonce,
        presented_app_id=app_id,
        now=NOW,
        retry_window_seconds=window,
    )


@given(nonces, presented_apps)
def test_an_unknown_code_is_unknown(nonce, app_id):
    assert outcome(None, nonce, app_id) is RedemptionOutcome.UNKNOWN


@given(codes, nonces, presented_apps)
def test_only_an_unused_unexpired_code_of_the_same_app_can_be_claimed(code, nonce, app_id):
    claimable = (
        code.redeemed_at is None
        and code.expires_at > NOW
        and (app_id is None or app_id == code.app_id)
    )

    assert (outcome(code, nonce, app_id) is RedemptionOutcome.CLAIM) == claimable


@given(codes, nonces, presented_apps)
def test_a_used_code_is_a_retry_only_for_the_same_device_within_the_window(code, nonce, app_id):
    result = outcome(code, nonce, app_id)

    if code.redeemed_at is not None:
        retry = (
            code.redemption_nonce_hash == nonce
            and NOW - code.redeemed_at <= timedelta(seconds=60)
            and (app_id is None or app_id == code.app_id)
        )
        assert result is (RedemptionOutcome.RETRY if retry else RedemptionOutcome.REPLAY)


@given(codes, nonces)
def test_another_apps_unused_code_is_refused_as_such(code, nonce):
    other_app = uuid.UUID(int=3)

    if code.redeemed_at is None:
        assert outcome(code, nonce, other_app) is RedemptionOutcome.OTHER_APP


@given(
    st.sampled_from([installs.LIVE, installs.RESET, installs.DISABLED]),
    st.none() | st.sampled_from(["alice", "bob"]),
    st.sampled_from(["alice", "bob"]),
)
def test_only_a_live_unlinked_install_gets_linked(status, current, requested):
    step = installs.link_step(status, current, requested)

    if status != installs.LIVE:
        assert step in (LinkStep.INSTALL_DISABLED, LinkStep.INSTALL_DELETED)
    elif current is None:
        assert step is LinkStep.LINK
    elif current == requested:
        assert step is LinkStep.ALREADY_LINKED
    else:
        assert step is LinkStep.LINKED_TO_OTHER_USER


def test_only_a_provisional_user_joins_an_existing_one():
    assert installs.may_join_existing_user(established=False)
    assert not installs.may_join_existing_user(established=True)


@given(moments, st.none() | moments, st.none() | moments)
def test_a_refresh_token_rotates_only_while_unexpired_and_unrevoked(expires, revoked, rotated):
    decision = refresh_decision(
        expires_at=expires,
        revoked_at=revoked,
        rotated_at=rotated,
        now=NOW,
        retry_window=timedelta(seconds=60),
    )

    if expires <= NOW:
        assert decision is RefreshDecision.EXPIRED
    elif revoked is None:
        assert decision is RefreshDecision.ROTATE
    elif rotated is not None and NOW - rotated <= timedelta(seconds=60):
        assert decision is RefreshDecision.RETRY
    else:
        assert decision is RefreshDecision.REFUSE


# --- payload bodies: the encoded text's shortcut agrees with the full walk ----------------------

_JSON_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(), max_size=30)
    | st.sampled_from(["NaN", "Infinity", "1234567890123456789012", "[[[{", "\ud800"])
)
_JSON_VALUES = st.recursive(
    _JSON_LEAVES,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=40,
)


def _nested(depth: int) -> object:
    body: object = 1
    for _ in range(depth):
        body = {"a": body}
    return body


@given(
    st.dictionaries(st.text(max_size=8), _JSON_VALUES, max_size=5)
    | st.integers(min_value=60, max_value=70).map(_nested)
)
def test_a_body_is_refused_exactly_when_the_full_walk_or_the_serializer_refuses_it(
    body: object,
) -> None:
    encoded, problem = payload_rules.encode_body(body)
    walked = payload_rules.body_problem(body)
    try:
        serialized: bytes | None = to_json(body, inf_nan_mode="constants")
    except PydanticSerializationError:
        serialized = None
    if walked is not None:
        assert (encoded, problem) == (None, walked)
    elif serialized is None:
        assert (encoded, problem) == (None, payload_rules.LONE_SURROGATE)
    else:
        assert (encoded, problem) == (serialized, None)


_BODIES = st.dictionaries(st.text(max_size=8), _JSON_VALUES, max_size=5) | st.integers(
    min_value=60, max_value=70
).map(_nested)


@given(st.lists(_BODIES, min_size=1, max_size=6))
def test_a_batch_of_bodies_is_encoded_as_each_body_alone_or_refused_when_any_is(
    bodies: list[object],
) -> None:
    one_by_one = [payload_rules.encode_body(body)[0] for body in bodies]
    expected = None if any(text is None for text in one_by_one) else one_by_one
    assert payload_rules.encode_bodies(bodies) == expected


_MOMENTS = st.datetimes(
    min_value=datetime(1900, 1, 1),
    max_value=datetime(9999, 12, 31),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(-timedelta(hours=12))]),
)


@given(st.lists(_MOMENTS, max_size=6))
def test_a_batch_of_moments_is_in_utc_as_each_alone_or_refused_when_any_is_out_of_range(
    moments: list[datetime],
) -> None:
    one_by_one = [payload_rules.to_utc(moment) for moment in moments]
    expected = None if None in one_by_one else one_by_one
    assert payload_rules.all_to_utc(moments) == expected


@given(
    st.datetimes(
        min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
    )
    | st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31))
)
def test_a_moment_is_written_to_sqlite_as_sqlalchemy_writes_it(moment: datetime) -> None:
    dialect = sqlite.dialect()
    column_type = payloads.c.occurred_at.type
    written_by_sqlalchemy = column_type.dialect_impl(dialect).bind_processor(dialect)
    assert written_by_sqlalchemy is not None
    assert sqlite_moment_text(moment) == written_by_sqlalchemy(moment)

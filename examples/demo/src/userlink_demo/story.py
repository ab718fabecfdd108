"""The scripted story: several devices of the example app against the running platform and
customer backend. Every step checks what it expects and records a `StepResult`; a failed step
does not stop the story (later steps say what they can)."""

from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable
from typing import Any

import httpx

from customer_backend.clock import SystemClock
from customer_backend.db import Database, build_engine
from customer_backend.webhooks.service import Webhooks
from device_app import DeviceApp, DeviceAppError
from device_app.output import describe_install
from userlink_sdk import PinningError, SdkStatus, UploadReport

from .services import Environment

__all__ = ["StepFailed", "StepResult", "Story", "StoryResult", "run_story"]

PHONE: dict[str, Any] = {"platform": "android", "model": "Pixel 8", "diagonal": 6.2}
TABLET: dict[str, Any] = {"platform": "android", "model": "Galaxy Tab S9", "diagonal": 11.0}
NEW_PHONE: dict[str, Any] = {"platform": "ios", "model": "iPhone 16", "idiom": "phone"}
LEGACY_PHONE: dict[str, Any] = {"platform": "android", "model": "Pixel 7", "diagonal": 6.3}
EMULATOR: dict[str, Any] = {"platform": "android", "model": "sdk_gphone64", "diagonal": 6.0}
SHARED_PHONE: dict[str, Any] = {"platform": "android", "model": "Pixel 9", "diagonal": 6.3}
WEBHOOK_WAIT_SECONDS = 30.0


@dataclasses.dataclass(frozen=True)
class StepResult:
    key: str
    """Stable name of the step (tests look steps up by it)."""
    section: str
    title: str
    ok: bool
    detail: str
    seconds: float


@dataclasses.dataclass(frozen=True)
class StoryResult:
    steps: tuple[StepResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(step.ok for step in self.steps)

    def step(self, key: str) -> StepResult:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(f"no step {key!r}")


class StepFailed(Exception):
    """What a step saw instead of what it expected."""


def check(condition: bool, message: str) -> None:
    if not condition:
        raise StepFailed(message)


def short(identifier: str | None) -> str:
    return f"{identifier[:8]}…" if identifier else "none"


def expect_failure(call: Callable[[], object], code: str | None = None) -> DeviceAppError:
    """The `DeviceAppError` that `call` must raise (with `code`, when given)."""
    try:
        outcome = call()
    except DeviceAppError as error:
        if code is not None and error.code != code:
            raise StepFailed(f"expected {code}, got {error.code}: {error.message}") from error
        return error
    raise StepFailed(f"expected a failure{f' ({code})' if code else ''}, got {outcome!r}")


def _active(status: SdkStatus | None) -> bool:
    return status is not None and status.user_exists and status.is_remote_enabled


def _inactive_because(status: SdkStatus | None, reason: str) -> bool:
    return (
        status is not None
        and status.user_exists
        and not status.is_remote_enabled
        and status.inactive_reason == reason
    )


class Story:
    def __init__(
        self,
        env: Environment,
        *,
        on_section: Callable[[str], None] = lambda title: None,
        on_step: Callable[[StepResult], None] = lambda step: None,
    ) -> None:
        self.env = env
        self.on_section = on_section
        self.on_step = on_step
        self.password = secrets.token_urlsafe(12)
        self.results: list[StepResult] = []
        self.section = ""
        self.users: dict[str, str] = {}
        self.installs: dict[str, str] = {}

    # -- machinery ---------------------------------------------------------------------------

    def device(self, name: str, *, attested: bool = True, **settings: Any) -> DeviceApp:
        """The device in `devices/<name>` of the work directory (the same name is the same
        device), on the demo's backend, signing attestations unless `attested` is False."""
        if attested:
            settings.setdefault("attestation_key", self.env.attestation.private_key)
            settings.setdefault("package_name", self.env.package_name)
        return DeviceApp.open(
            self.env.workdir / "devices" / name, backend_url=self.env.backend_url, **settings
        )

    def begin(self, title: str) -> None:
        self.section = title
        self.on_section(title)

    def step(self, key: str, title: str, action: Callable[[], str]) -> StepResult:
        started = time.monotonic()
        try:
            detail, ok = action(), True
        except StepFailed as failure:
            detail, ok = str(failure), False
        except DeviceAppError as error:
            detail, ok = f"unexpected {error.code}: {error.message}", False
        except Exception as error:  # a broken step must not hide the others
            detail, ok = f"{type(error).__name__}: {error}", False
        result = StepResult(key, self.section, title, ok, detail, time.monotonic() - started)
        self.results.append(result)
        self.on_step(result)
        return result

    def send(self, device: DeviceApp, note: str) -> UploadReport:
        device.record("trip", {"note": note})
        return device.upload()

    def api(self, path: str, **params: Any) -> Any:
        """A server-to-server read with the user.read key, as the customer backend would."""
        response = httpx.get(
            f"{self.env.platform_url}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.env.tenant.read_key}"},
            timeout=10,
        )
        check(response.status_code == 200, f"GET {path}: {response.status_code} {response.text}")
        return response.json()

    def api_post(self, path: str, key: str, body: Any = None) -> Any:
        """A server-to-server write with `key` (user.link, user.admin)."""
        response = httpx.post(
            f"{self.env.platform_url}{path}",
            json=body,
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        check(response.status_code == 200, f"POST {path}: {response.status_code} {response.text}")
        return response.json()

    def notes(self, user_id: str) -> list[str]:
        """The notes of the user's timeline, in order."""
        items = self.api(f"/v2/users/{user_id}/timeline", limit=1000)["items"]
        return [str(item["body"].get("note")) for item in items]

    # -- the story ---------------------------------------------------------------------------

    def run(self) -> StoryResult:
        started = time.monotonic()
        self.begin("Authentication codes: one user across a reinstall and three devices")
        self.step("signup-creates-user", "sign-up on a phone creates the user", self.signup)
        self.step("phone-payload", "the phone sends a trip", self.phone_payload)
        self.step("reinstall-restores", "reinstall restores the same user", self.reinstall)
        self.step("reinstalled-payload", "the reinstalled phone sends a trip", self.second_trip)
        self.step("tablet-inactive", "a tablet joins, inactive", self.tablet)
        self.step("tablet-payload-held", "the tablet's trip is not processed", self.tablet_trip)
        self.step("new-phone-active", "a new phone takes over", self.new_phone)
        self.step("only-active-processed", "only the active phone's trips count", self.trips)
        self.step("timeline", "one continuous timeline (user.read key)", self.timeline)

        self.begin("Identity events: a new phone, a signed webhook, late trips, an undo")
        self.step("restore-displaces", "a restore on a new phone displaces the old", self.displace)
        self.step("webhook-received", "the backend gets the signed webhook", self.webhook)
        self.step("late-payload-held", "the old phone's late trip is held", self.late_trip)
        self.step("held-merged", "held trips merged into the timeline", self.merge)
        self.step("wrong-restore", "a wrong restore on a shared phone", self.wrong_restore)
        self.step("restore-undone", "the wrong restore undone", self.undo)

        self.begin("Device attestation")
        self.step("unattested-refused", "a device without attestation", self.unattested)

        self.begin("Codes bound to the device (PKCE)")
        self.step("stolen-code-refused", "a stolen code on another device", self.stolen_code)

        self.begin("Legacy flow: install id and linker")
        self.step("legacy-linked", "legacy init links the install", self.legacy_init)
        self.step("legacy-link-failed", "init while logged out: LINK_FAILED", self.legacy_failed)
        self.step("legacy-relinked", "log in, init again: linked", self.legacy_relinked)

        self.begin("Another user on the same device")
        self.step("switch-user", "logout, then another user", self.switch_user)
        self.step("handover", "alice's remaining phone is active again", self.handover)

        self.begin("TLS and certificate pinning (HTTPS platform, same database)")
        self.step("pin-accepted", "the right pin: user created over HTTPS", self.right_pin)
        self.step("pin-refused", "a wrong pin: refused at the handshake", self.wrong_pin)
        return StoryResult(tuple(self.results), time.monotonic() - started)

    # Authentication codes

    def signup(self) -> str:
        phone = self.device("phone-1", **PHONE)
        phone.signup("alice", self.password)
        created = phone.create_user()
        check(not created.restored, "a restored user, expected a new one")
        check(_active(created.status), f"expected active, {describe_install(created.status)}")
        assert created.status is not None
        self.users["alice"] = created.user_id
        self.installs["phone-1 first"] = created.status.install_id or ""
        return f"alice signed up on a Pixel 8: user {short(created.user_id)} created, active"

    def phone_payload(self) -> str:
        report = self.send(self.device("phone-1"), "monday commute")
        check(report.processed == 1, f"processed {report.processed}, expected 1")
        return "'monday commute': processed"

    def reinstall(self) -> str:
        phone = self.device("phone-1")
        reset = phone.reset()
        check(reset.deregistered_on_server, f"reset: {reset.details}")
        created = phone.create_user()
        check(created.restored, "a new user, expected the restored one")
        check(created.user_id == self.users["alice"], f"user {created.user_id}, expected alice's")
        check(_active(created.status), f"expected active, {describe_install(created.status)}")
        assert created.status is not None
        check(created.status.install_id != self.installs["phone-1 first"], "the same install id")
        return (
            f"reset, new code: user {short(created.user_id)} restored, "
            f"install {short(created.status.install_id)} active"
        )

    def second_trip(self) -> str:
        report = self.send(self.device("phone-1"), "tuesday commute")
        check(report.processed == 1, f"processed {report.processed}, expected 1")
        return "'tuesday commute': processed"

    def tablet(self) -> str:
        tablet = self.device("tablet", **TABLET)
        tablet.login("alice", self.password)
        created = tablet.create_user()
        check(created.restored and created.user_id == self.users["alice"], "not alice's user")
        check(
            _inactive_because(created.status, "PHONE_PREFERRED_OVER_TABLET"),
            f"expected inactive, {describe_install(created.status)}",
        )
        return f"Galaxy Tab: user {short(created.user_id)} restored, PHONE_PREFERRED_OVER_TABLET"

    def tablet_trip(self) -> str:
        report = self.send(self.device("tablet"), "sofa browsing")
        check(report.processed == 0, f"processed {report.processed}, expected 0")
        check(not report.is_remote_enabled, "the upload did not see the install inactive")
        return f"'sofa browsing': not processed, {report.remaining} kept on the tablet"

    def new_phone(self) -> str:
        new_phone = self.device("phone-2", **NEW_PHONE)
        new_phone.login("alice", self.password)
        created = new_phone.create_user()
        check(created.restored and created.user_id == self.users["alice"], "not alice's user")
        check(_active(created.status), f"expected active, {describe_install(created.status)}")
        old = self.device("phone-1").status().sdk
        check(
            _inactive_because(old, "NEWER_INSTALL_ACTIVE"),
            f"old phone: expected inactive, {describe_install(old)}",
        )
        return "iPhone 16: alice restored, active; Pixel 8 now NEWER_INSTALL_ACTIVE"

    def trips(self) -> str:
        new = self.send(self.device("phone-2"), "wednesday commute")
        old = self.send(self.device("phone-1"), "old phone in a drawer")
        check(new.processed == 1, f"new phone: processed {new.processed}, expected 1")
        check(old.processed == 0, f"old phone: processed {old.processed}, expected 0")
        return "iPhone 'wednesday commute' processed; Pixel 'old phone in a drawer' not"

    def timeline(self) -> str:
        user_id = self.users["alice"]
        record = self.api(f"/v2/users/{user_id}")
        page = self.api(f"/v2/users/{user_id}/timeline", limit=1000)
        items = page["items"]
        notes = [item["body"]["note"] for item in items]
        expected = ["monday commute", "tuesday commute", "wednesday commute"]
        check(notes == expected, f"timeline {notes}, expected {expected}")
        check(len({item["install_id"] for item in items}) == 3, "expected 3 different installs")
        check(len(record["installs"]) == 4, f"{len(record['installs'])} installs, expected 4")
        return "monday, tuesday, wednesday commute: one sequence from 3 installs"

    # Identity events

    def displace(self) -> str:
        old = self.device("grace-phone", **PHONE)
        old.signup("grace", self.password)
        created = old.create_user()
        self.users["grace"] = user_id = created.user_id
        self.installs["grace old"] = (created.status.install_id if created.status else None) or ""
        first = self.send(old, "morning run")
        check(first.processed == 1, f"'morning run': processed {first.processed}, expected 1")
        old.record("trip", {"note": "evening walk"})  # offline from now on: it waits on the phone
        new = self.device("grace-new-phone", **NEW_PHONE)
        new.login("grace", self.password)
        restored = new.create_user()
        check(restored.restored and restored.user_id == user_id, "not grace's user")
        check(_active(restored.status), f"expected active, {describe_install(restored.status)}")
        assert restored.status is not None
        self.installs["grace new"] = restored.status.install_id or ""
        trip = self.send(new, "next day commute")
        check(trip.processed == 1, f"'next day commute': processed {trip.processed}, expected 1")
        events = self.api(f"/v2/users/{user_id}/events", type="install.displaced")["items"]
        check(len(events) == 1, f"{len(events)} install.displaced events, expected 1")
        event = events[0]
        check(
            (event["install_id"], event["details"].get("new_install_id"))
            == (self.installs["grace old"], self.installs["grace new"]),
            f"install.displaced names {event['install_id']} → {event['details']}",
        )
        return (
            "grace: Pixel 8 'morning run' processed, then 'evening walk' recorded offline; "
            "iPhone 16 restores her, active, 'next day commute' processed; her ledger: "
            f"install.displaced (event {event['id']}, {event['details'].get('reason')})"
        )

    def webhook(self) -> str:
        user_id = self.users["grace"]
        old_install = self.installs["grace old"]
        # What the customer backend recorded, read through its own service (its database).
        database = Database(build_engine(self.env.backend_database_url))
        webhooks = Webhooks(database=database, clock=SystemClock(), secret=None)
        deadline = time.monotonic() + WEBHOOK_WAIT_SECONDS
        try:
            while True:  # delivered by a worker within about a second
                notices = [
                    notice
                    for notice in webhooks.notices_of(user_id)
                    if notice.displaced_install_id == old_install
                ]
                if notices or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
        finally:
            database.dispose()
        check(
            bool(notices),
            f"no install.displaced for grace's Pixel at the backend within "
            f"{WEBHOOK_WAIT_SECONDS:.0f} s (see logs/customer-backend.log)",
        )
        notice = notices[0]
        check(
            notice.details.get("new_install_id") == self.installs["grace new"],
            f"the notice names {notice.details.get('new_install_id')}, expected the iPhone",
        )
        return (
            f"POST /webhooks/userlink, {notice.message_id[:12]}…: signature verified "
            f"(HMAC-SHA256, whsec_ secret), install.displaced ({notice.reason}) → notice for "
            f"grace: 'you were signed in on another phone'; sent by {self.env.webhook_delivery}"
        )

    def late_trip(self) -> str:
        user_id = self.users["grace"]
        old = self.device("grace-phone")
        report = old.upload()  # back online, not knowing yet
        check(
            (report.sent, report.processed, report.not_processed) == (1, 0, 1),
            f"sent {report.sent}, processed {report.processed}, expected 1 not processed",
        )
        status = old.status().sdk
        displacement = status.displacement
        check(
            _inactive_because(status, "NEWER_INSTALL_ACTIVE") and displacement is not None,
            f"old phone: expected displaced, {describe_install(status)}",
        )
        assert displacement is not None
        assert status.inactive_since is not None
        check(
            displacement.new_install_id == self.installs["grace new"],
            f"displaced by {displacement.new_install_id}, expected the iPhone",
        )
        held = self.api(f"/v2/users/{user_id}/held-payloads")["items"]
        notes = [item["body"].get("note") for item in held]
        check(notes == ["evening walk"], f"held {notes}, expected ['evening walk']")
        check(held[0]["install_id"] == self.installs["grace old"], "held for another install")
        check(self.notes(user_id) == ["morning run", "next day commute"], "the timeline moved")
        return (
            "Pixel back online: 'evening walk' not processed, held (GET …/held-payloads); "
            f"its sdk_status(): {status.inactive_reason} since {status.inactive_since:%H:%M:%S}"
            f" UTC, {displacement.reason}, by {short(displacement.new_install_id)}"
        )

    def merge(self) -> str:
        user_id = self.users["grace"]
        merged = self.api_post(
            f"/v2/users/{user_id}/held-payloads/merge", self.env.tenant.link_key, {}
        )
        check(merged == {"merged": 1}, f"answered {merged}, expected 1 merged")
        notes = self.notes(user_id)
        expected = ["morning run", "evening walk", "next day commute"]
        check(notes == expected, f"timeline {notes}, expected {expected}")
        check(self.api(f"/v2/users/{user_id}/held-payloads")["items"] == [], "still held")
        return "merged 1: " + ", ".join(expected) + " (in the order they happened)"

    def wrong_restore(self) -> str:
        user_id = self.users["grace"]
        shared = self.device("shared-phone", **SHARED_PHONE)
        shared.login("grace", self.password)  # on her brother's phone, to show him something
        restored = shared.create_user()
        check(restored.restored and restored.user_id == user_id, "not grace's user")
        check(_active(restored.status), f"expected active, {describe_install(restored.status)}")
        assert restored.status is not None
        self.installs["shared"] = restored.status.install_id or ""
        trip = self.send(shared, "brother's gym session")
        check(trip.processed == 1, f"processed {trip.processed}, expected 1")
        notes = self.notes(user_id)
        check(notes[-1] == "brother's gym session", f"timeline {notes}")
        return (
            "grace logs in on her brother's Pixel 9: restored, active; his 'brother's gym "
            "session' lands in grace's timeline"
        )

    def undo(self) -> str:
        user_id = self.users["grace"]
        shared_install = self.installs["shared"]
        events = self.api(f"/v2/users/{user_id}/events", type="user.restored")["items"]
        wrong = [event for event in events if event["install_id"] == shared_install]
        check(len(wrong) == 1, f"{len(wrong)} user.restored events for the shared phone")
        event_id = wrong[0]["id"]
        answer = self.api_post(
            f"/v2/users/{user_id}/events/{event_id}/undo", self.env.tenant.admin_key
        )
        provisional = answer["install_user_id"]
        check(
            provisional is not None and provisional != user_id,
            f"the install stayed with {provisional}",
        )
        shared = self.device("shared-phone").status().sdk
        check(shared.user_id == provisional, f"shared phone: user {shared.user_id}")
        check(_active(shared), f"shared phone: {describe_install(shared)}")
        new = self.device("grace-new-phone").status().sdk
        check(_active(new), f"grace's iPhone: expected active again, {describe_install(new)}")
        notes = self.notes(user_id)
        expected = ["morning run", "evening walk", "next day commute"]
        check(notes == expected, f"grace's timeline {notes}, expected {expected}")
        moved = self.notes(provisional)
        check(moved == ["brother's gym session"], f"provisional user's timeline {moved}")
        undone = self.api(f"/v2/users/{user_id}/events", type="event.undone")["items"]
        check(
            [item["undoes_event_id"] for item in undone] == [event_id],
            "no event.undone in grace's ledger",
        )
        return (
            f"user.restored (event {event_id}) undone with the user.admin key: the Pixel 9 is "
            f"provisional user {short(provisional)} with its gym session; grace's iPhone active "
            "again, her timeline morning run, evening walk, next day commute"
        )

    # Device attestation

    def unattested(self) -> str:
        emulator = self.device("emulator", attested=False, **EMULATOR)
        emulator.signup("mallory", self.password)
        error = expect_failure(emulator.create_user)
        check(error.status in (401, 403), f"expected 401/403, got {error.status} {error.code}")
        check(not emulator.status().sdk.user_exists, "a user was created anyway")
        return f"no attestation statement: code refused ({error.status} {error.code})"

    # Codes bound to the device

    def stolen_code(self) -> str:
        victim = self.device("victor-phone", **PHONE)
        victim.signup("victor", self.password)
        code = victim.request_code()  # bound to victor's phone; say it leaked through a log
        thief = self.device("thief-phone", **PHONE)
        error = expect_failure(lambda: thief.redeem_code(code), "INVALID_AUTH_CODE")
        check("AUTH_CODE_VERIFIER_MISMATCH" in error.message, f"refused for {error.message}")
        check(not thief.status().sdk.user_exists, "the thief got a user anyway")
        created = victim.create_user()  # a new code: the stolen one was burned
        check(not created.restored, "a restored user, expected victor's new one")
        return (
            "victor's code, replayed on another phone: AUTH_CODE_VERIFIER_MISMATCH (code burned); "
            f"victor's phone with a new code: user {short(created.user_id)} created"
        )

    # Legacy flow

    def legacy_init(self) -> str:
        phone = self.device("legacy-phone", **LEGACY_PHONE)
        phone.signup("bob", self.password)
        init = phone.init_legacy()
        check(init.linked and init.user_id is not None, "not linked")
        check(init.credentials_from == "backend", f"credentials from {init.credentials_from}")
        check(_active(init.status), f"expected active, {describe_install(init.status)}")
        assert init.user_id is not None
        self.users["bob"] = init.user_id
        return f"bob signed up; credentials from the backend; user {short(init.user_id)} linked"

    def legacy_failed(self) -> str:
        phone = self.device("legacy-phone")
        logged_out = phone.logout()
        check(logged_out.reset.deregistered_on_server, f"reset: {logged_out.reset.details}")
        error = expect_failure(phone.init_legacy, "LINK_FAILED")
        check("NOT_LOGGED_IN" in error.message, f"failed for another reason: {error.message}")
        check(not phone.status().sdk.user_exists, "a user on the device after LINK_FAILED")
        return "bob logged out (SDK reset); next start: linker not logged in, LINK_FAILED"

    def legacy_relinked(self) -> str:
        phone = self.device("legacy-phone")
        phone.login("bob", self.password)
        init = phone.init_legacy()
        check(init.linked, "not linked")
        check(init.user_id == self.users["bob"], f"user {init.user_id}, expected bob's")
        check(_active(init.status), f"expected active, {describe_install(init.status)}")
        return f"the linker ran again: bob's user {short(init.user_id)} restored, active"

    # Another user

    def switch_user(self) -> str:
        phone = self.device("phone-2")
        logged_out = phone.logout()
        check(logged_out.reset.deregistered_on_server, f"reset: {logged_out.reset.details}")
        phone.signup("carol", self.password)
        created = phone.create_user()
        check(not created.restored, "restored someone, expected a new user")
        check(created.user_id != self.users["alice"], "carol got alice's user")
        check(_active(created.status), f"expected active, {describe_install(created.status)}")
        self.users["carol"] = created.user_id
        return f"alice logged out of the iPhone; carol: new user {short(created.user_id)}"

    def handover(self) -> str:
        status = self.device("phone-1").status().sdk
        check(status.user_id == self.users["alice"], "not alice's user")
        check(_active(status), f"expected active, {describe_install(status)}")
        return "the iPhone was reset: the Pixel 8 (a phone beats a tablet) is active"

    # TLS and pinning

    def right_pin(self) -> str:
        phone = self.device(
            "tls-phone",
            platform_url=self.env.tls_platform_url,
            ca_file=self.env.tls.certificate,
            pins=(self.env.tls.pin,),
            **PHONE,
        )
        phone.signup("dave", self.password)
        created = phone.create_user()
        check(not created.restored, "a restored user, expected a new one")
        check(_active(created.status), f"expected active, {describe_install(created.status)}")
        return f"{self.env.tls_platform_url}, pin {self.env.tls.pin[:10]}…: user created"

    def wrong_pin(self) -> str:
        phone = self.device(
            "tls-phone-2",
            platform_url=self.env.tls_platform_url,
            ca_file=self.env.tls.certificate,
            pins=(self.env.tls.wrong_pin,),
            **NEW_PHONE,
        )
        phone.login("dave", self.password)
        error = expect_failure(phone.create_user, "NETWORK_ERROR")
        check("certificate pin mismatch" in error.message, f"details: {error.message}")
        causes: list[BaseException] = []
        cause: BaseException | None = error
        while cause is not None:
            causes.append(cause)
            cause = cause.__cause__
        check(any(isinstance(c, PinningError) for c in causes), "no PinningError behind it")
        check(not phone.status().sdk.user_exists, "a user was created anyway")
        return "pin of another key: NETWORK_ERROR, certificate pin mismatch; no user"


def run_story(
    env: Environment,
    *,
    on_section: Callable[[str], None] = lambda title: None,
    on_step: Callable[[StepResult], None] = lambda step: None,
) -> StoryResult:
    return Story(env, on_section=on_section, on_step=on_step).run()

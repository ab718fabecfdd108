"""Stateful property test of the linking invariants, against the real runtime over HTTP.

Hypothesis drives installs on phones and tablets through both flows (auth codes and legacy
links), resets, deletions, undos and uploads in random order; after every step the runtime must
agree with a small model: at most one active install per user and it is the rule's choice, one
user per external id, the timeline holds exactly the payloads the active installs sent (each in
one timeline), and the user's ledger, replayed, names the active install the user has.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import (
    bearer,
    issue_code,
    link,
    payload,
    phone,
    redeem,
    register_install,
    tablet,
    upload,
)

EXTERNAL_IDS = st.sampled_from(["alice", "bob", "carol"])
DEVICE_CLASSES = st.sampled_from(["phone", "tablet"])


@dataclass
class ModelInstall:
    install_id: str
    token: str
    device_class: str
    order: int
    user_key: str  # an external id, or "provisional:<user id>"
    live: bool = True
    # How the install came to its user: "new" (created it), "restore", "join" (a legacy link to
    # a known external id), "link" (its own user got the external id). Undo may reverse the last
    # three.
    arrived_by: str = "new"


@dataclass
class Model:
    installs: dict[str, ModelInstall] = field(default_factory=dict)
    user_ids: dict[str, str] = field(default_factory=dict)  # user key -> runtime user id
    timeline: dict[str, list[str]] = field(default_factory=dict)  # user key -> payload ids
    sent_by: dict[str, str] = field(default_factory=dict)  # payload id -> install id
    order: int = 0

    def next_order(self) -> int:
        self.order += 1
        return self.order

    def live_installs(self, user_key: str) -> list[ModelInstall]:
        return [i for i in self.installs.values() if i.user_key == user_key and i.live]

    def expected_active(self, user_key: str) -> str | None:
        live = self.live_installs(user_key)
        if not live:
            return None
        best = max(live, key=lambda i: (i.device_class == "phone", i.order))
        return best.install_id


def device(device_class: str) -> dict:
    return phone() if device_class == "phone" else tablet()


def build_machine(api, runtime):
    class LinkingMachine(RuleBasedStateMachine):
        installs = Bundle("installs")

        def __init__(self) -> None:
            super().__init__()
            created = make_app(runtime, name=f"stateful-{uuid.uuid4()}")
            self.app_id = created.app.id
            self.secret = created.secret
            self.link_key = make_key(runtime, created.app.id, scopes=("user.link",))
            self.read_key = make_key(runtime, created.app.id, scopes=("user.read", "user.delete"))
            self.admin_key = make_key(runtime, created.app.id, scopes=("user.admin",))
            self.model = Model()
            self.clock_step = 0

        @rule(target=installs, external_id=EXTERNAL_IDS, device_class=DEVICE_CLASSES)
        def create_with_code(self, external_id, device_class):
            answer = redeem(
                api, issue_code(api, self.link_key, external_id), device=device(device_class)
            )
            known = self.model.user_ids.get(external_id)
            assert answer["restored"] is (known is not None)
            if known is not None:
                assert answer["user_id"] == known
            self.model.user_ids[external_id] = answer["user_id"]
            self.model.timeline.setdefault(external_id, [])
            install = ModelInstall(
                answer["install_id"],
                answer["credentials"]["access_token"],
                device_class,
                self.model.next_order(),
                external_id,
                arrived_by="restore" if known is not None else "new",
            )
            self.model.installs[install.install_id] = install
            return install.install_id

        @rule(target=installs, device_class=DEVICE_CLASSES)
        def register_legacy(self, device_class):
            answer = register_install(api, self.app_id, self.secret, device=device(device_class))
            user_key = f"provisional:{answer['user_id']}"
            self.model.user_ids[user_key] = answer["user_id"]
            self.model.timeline[user_key] = []
            install = ModelInstall(
                answer["install_id"],
                answer["credentials"]["access_token"],
                device_class,
                self.model.next_order(),
                user_key,
            )
            self.model.installs[install.install_id] = install
            return install.install_id

        @rule(install_id=installs, external_id=EXTERNAL_IDS)
        def link_legacy(self, install_id, external_id):
            install = self.model.installs[install_id]
            response = link(api, self.link_key, install_id, external_id)
            if not install.live:
                assert response.status_code in (403, 404)
                return
            if not install.user_key.startswith("provisional:"):
                expected = 200 if install.user_key == external_id else 403
                assert response.status_code == expected, response.text
                return
            assert response.status_code == 200, response.text
            provisional = install.user_key
            if external_id in self.model.user_ids:
                # Joins the known user; the provisional user is discarded.
                install.user_key = external_id
                install.arrived_by = "join"
                self.model.timeline[external_id].extend(self.model.timeline.pop(provisional))
                del self.model.user_ids[provisional]
            else:
                self.model.user_ids[external_id] = self.model.user_ids.pop(provisional)
                self.model.timeline[external_id] = self.model.timeline.pop(provisional)
                install.arrived_by = "link"
                for other in self.model.installs.values():
                    if other.user_key == provisional:
                        other.user_key = external_id
            assert response.json()["id"] == self.model.user_ids[external_id]

        @rule(install_id=installs)
        def upload_one(self, install_id):
            install = self.model.installs[install_id]
            self.clock_step += 1
            payload_id = f"p{self.clock_step}"
            moment = f"2026-01-01T00:{self.clock_step // 60:02d}:{self.clock_step % 60:02d}Z"
            response = upload(api, install.token, [payload(payload_id, at=moment)])
            if not install.live:
                assert response.status_code == 401
                return
            expected_active = self.model.expected_active(install.user_key) == install_id
            assert response.json()["results"][0]["status"] == (
                "processed" if expected_active else "not_processed"
            )
            if expected_active:
                self.model.timeline[install.user_key].append(payload_id)
                self.model.sent_by[payload_id] = install_id

        def _undoable(self):
            return sorted(
                i.install_id
                for i in self.model.installs.values()
                if i.arrived_by != "new" and not i.user_key.startswith("deleted:")
            )

        @precondition(lambda self: bool(self._undoable()))
        @rule(data=st.data())
        def undo_arrival(self, data):
            """Undo the restore or link that brought an install to its user."""
            install_id = data.draw(st.sampled_from(self._undoable()))
            install = self.model.installs[install_id]
            user_key = install.user_key
            user_id = self.model.user_ids[user_key]
            event_id = self._arrival_event(user_id, install_id)
            response = api.post(
                f"/v2/users/{user_id}/events/{event_id}/undo", headers=bearer(self.admin_key)
            )
            blocked = (
                not install.live
                if install.arrived_by in ("restore", "join")
                else any(
                    other.user_key == user_key and other.arrived_by in ("restore", "join")
                    for other in self.model.installs.values()
                )
            )
            if blocked:
                assert response.status_code == 409, response.text
                assert response.json()["errorCode"] == "UNDO_BLOCKED_BY_LATER_EVENTS"
                return
            assert response.status_code == 200, response.text
            answer = response.json()
            if install.arrived_by == "link":
                # The user is unlinked: provisional again, with every install it has.
                provisional = f"provisional:{user_id}"
                self.model.user_ids[provisional] = self.model.user_ids.pop(user_key)
                self.model.timeline[provisional] = self.model.timeline.pop(user_key)
                for other in self.model.installs.values():
                    if other.user_key == user_key:
                        other.user_key = provisional
            else:
                # The install and the payloads it sent go to a new provisional user.
                provisional = f"provisional:{answer['install_user_id']}"
                self.model.user_ids[provisional] = answer["install_user_id"]
                mine = [
                    p for p in self.model.timeline[user_key] if self.model.sent_by[p] == install_id
                ]
                self.model.timeline[user_key] = [
                    p for p in self.model.timeline[user_key] if p not in mine
                ]
                self.model.timeline[provisional] = mine
                install.user_key = provisional
            install.arrived_by = "new"

        def _arrival_event(self, user_id, install_id):
            items = api.get(
                f"/v2/users/{user_id}/events",
                params={"type": "user.restored,user.linked,event.undone", "limit": 500},
                headers=bearer(self.read_key),
            ).json()["items"]
            undone = {item["undoes_event_id"] for item in items if item["undoes_event_id"]}
            return next(
                item["id"]
                for item in items
                if item["install_id"] == install_id
                and item["type"] != "event.undone"
                and item["id"] not in undone
            )

        @rule(install_id=consumes(installs))
        def reset(self, install_id):
            install = self.model.installs[install_id]
            response = api.post("/sdk/v1/reset", headers=bearer(install.token))
            assert response.status_code == (204 if install.live else 401)
            install.live = False

        @rule(external_id=EXTERNAL_IDS)
        def delete_user(self, external_id):
            user_id = self.model.user_ids.get(external_id)
            if user_id is None:
                return
            response = api.delete(f"/users/{user_id}", headers=bearer(self.read_key))
            assert response.status_code == 204
            del self.model.user_ids[external_id]
            del self.model.timeline[external_id]
            for install in self.model.installs.values():
                if install.user_key == external_id:
                    install.live = False
                    install.user_key = f"deleted:{external_id}"

        @invariant()
        def platform_agrees_with_the_model(self):
            for user_key, user_id in self.model.user_ids.items():
                record = api.get(f"/v2/users/{user_id}", headers=bearer(self.read_key))
                assert record.status_code == 200, record.text
                active = [i["id"] for i in record.json()["installs"] if i["is_active"]]
                expected = self.model.expected_active(user_key)
                assert active == ([expected] if expected else [])
                timeline = api.get(
                    f"/v2/users/{user_id}/timeline",
                    params={"limit": 1000},
                    headers=bearer(self.read_key),
                ).json()
                assert [i["id"] for i in timeline["items"]] == sorted(
                    self.model.timeline[user_key], key=lambda p: int(p[1:])
                )
                if not user_key.startswith("provisional:"):
                    found = api.get(
                        "/v2/users", params={"external_id": user_key}, headers=bearer(self.read_key)
                    )
                    assert found.json()["id"] == user_id
                assert self._active_by_the_ledger(user_id) == expected

        @invariant()
        def no_payload_in_two_timelines(self):
            every = [p for payloads in self.model.timeline.values() for p in payloads]
            assert len(every) == len(set(every))

        def _active_by_the_ledger(self, user_id):
            """The user's active install as the newest ledger event that says it names it."""
            items = api.get(
                f"/v2/users/{user_id}/events",
                params={"limit": 500},
                headers=bearer(self.read_key),
            ).json()["items"]
            saying = [item for item in items if "active_install_id" in item["details"]]
            return saying[0]["details"]["active_install_id"] if saying else None

    return LinkingMachine


def test_linking_invariants_hold_under_random_operations(api, runtime):
    run_state_machine_as_test(
        lambda: build_machine(api, runtime)(),
        settings=settings(
            max_examples=20,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )

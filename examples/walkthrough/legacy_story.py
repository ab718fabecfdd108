"""README walkthrough, part 2: the legacy flow, one active installation, one timeline.

Plays one user ("bob") across devices against a running platform (`make run`):
a phone with the legacy linker, a reinstall on that phone, a tablet, a new phone, payloads from
every device, then reads bob's timeline the way a customer backend would.

    USERLINK_APP_ID=… USERLINK_APP_SECRET=… USERLINK_LINK_KEY=… USERLINK_READ_KEY=… \
        .venv/bin/python examples/walkthrough/legacy_story.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import httpx

from userlink_sdk import DeviceInfo, LegacyConfig, UserLink

PLATFORM = os.environ.get("USERLINK_PLATFORM_URL", "http://127.0.0.1:8000")
APP_ID = os.environ["USERLINK_APP_ID"]
APP_SECRET = os.environ["USERLINK_APP_SECRET"]
LINK_KEY = os.environ["USERLINK_LINK_KEY"]
READ_KEY = os.environ["USERLINK_READ_KEY"]
EXTERNAL_ID = os.environ.get("USERLINK_EXTERNAL_ID", "bob")

PHONE = DeviceInfo(platform="android", model="Pixel 6", screen_diagonal_inches=6.4)
TABLET = DeviceInfo(platform="android", model="Galaxy Tab S9", screen_diagonal_inches=11.0)
NEW_PHONE = DeviceInfo(platform="ios", model="iPhone 16", ios_idiom="phone")


def linker(install_id: str) -> bool:
    """In a real app this asks *your backend*, which authenticates its user and calls the
    platform with the API key. Inlined here so the walkthrough needs no backend."""
    response = httpx.post(
        f"{PLATFORM}/v2/users/{install_id}/link",
        json={"external_id": EXTERNAL_ID},
        headers={"Authorization": f"Bearer {LINK_KEY}"},
    )
    return response.status_code == 200


def start(directory: Path, device: DeviceInfo) -> UserLink:
    sdk = UserLink(directory, device=device, app_version="1.0.0")
    sdk.initialize(LegacyConfig(APP_ID, APP_SECRET, linker, platform_url=PLATFORM))
    return sdk


def show(label: str, sdk: UserLink) -> None:
    status = sdk.sdk_status()
    state = "active" if status.is_remote_enabled else f"inactive ({status.inactive_reason})"
    print(f"{label:<28} user {status.user_id}  install {status.install_id[:8]}…  {state}")


def record_and_upload(sdk: UserLink, what: str) -> None:
    sdk.submit_payload("trip", {"note": what})
    report = sdk.upload_payloads()
    held = f", held on the device while inactive: {report.remaining}" if report.remaining else ""
    print(f"{'':<28} '{what}': processed {report.processed}{held}")


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="userlink-devices-"))
    phone = start(root / "phone", PHONE)
    show("phone (legacy init)", phone)
    record_and_upload(phone, "monday commute")

    phone.reset()  # uninstall…
    phone = start(root / "phone", PHONE)  # …and install again
    show("phone after reinstall", phone)
    record_and_upload(phone, "tuesday commute")

    tablet = start(root / "tablet", TABLET)
    show("tablet added", tablet)
    record_and_upload(tablet, "sofa browsing")

    new_phone = start(root / "new-phone", NEW_PHONE)
    show("new phone", new_phone)
    show("old phone, now", phone)
    record_and_upload(new_phone, "wednesday commute")
    record_and_upload(phone, "old phone in a drawer")

    headers = {"Authorization": f"Bearer {READ_KEY}"}
    user = httpx.get(f"{PLATFORM}/v2/users", params={"external_id": EXTERNAL_ID}, headers=headers)
    timeline = httpx.get(f"{PLATFORM}/v2/users/{user.json()['id']}/timeline", headers=headers)
    print("\ntimeline of", EXTERNAL_ID)
    for item in timeline.json()["items"]:
        print(f"  {item['timestamp']}  install {item['install_id'][:8]}…  {item['body']['note']}")
    for sdk in (phone, tablet, new_phone):
        sdk.close()
    shutil.rmtree(root)


if __name__ == "__main__":
    main()

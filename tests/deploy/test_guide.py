"""docs/deployment.md shows every file of deploy/ exactly as shipped: a fenced block whose info
string names the file (```` ```ini title="deploy/systemd/userlink.service" ````) holds its text, so
the guide and the tested files cannot drift apart."""

from __future__ import annotations

import re

from userlink_testing.deploy import DEPLOY, GUIDE, ROOT

SHOWN = re.compile(r'^```\w+ title="(deploy/[^"]+)"\n(.*?)^```$', re.MULTILINE | re.DOTALL)


def test_the_guide_shows_every_deploy_file_as_shipped() -> None:
    shown = dict(SHOWN.findall(GUIDE.read_text()))
    shipped = {
        str(path.relative_to(ROOT)): path.read_text()
        for path in sorted(DEPLOY.rglob("*"))
        if path.is_file() and path.name != "README.md"
    }

    assert shown == shipped


def test_the_guide_shows_each_deploy_file_once() -> None:
    names = [name for name, _ in SHOWN.findall(GUIDE.read_text())]

    assert len(names) == len(set(names)), names

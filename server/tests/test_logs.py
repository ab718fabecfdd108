"""An unexpected error is logged with the request's ref, as one JSON line with the exception."""

from __future__ import annotations

import asyncio
import json
import logging

import httpx

from userlink.http.app import create_app
from userlink.kit.logs import JsonFormatter, logging_config
from userlink_testing import live as live_servers
from userlink_testing.factories.devices import redeem_body


def test_an_unexpected_error_is_one_json_line_with_its_ref(tmp_path, caplog):
    # A database without its schema: the redemption's first statement fails unexpectedly.
    app = create_app(live_servers.test_settings(f"sqlite:///{tmp_path}/empty.db"))

    async def redeem() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://in") as client:
            return await client.post(
                "/sdk/v1/users",
                json=redeem_body("0" * 128),
                headers={"X-Request-ID": "ops-error-ref-1"},
            )

    with caplog.at_level(logging.ERROR, logger="userlink"):
        answer = asyncio.run(redeem())

    [record] = [r for r in caplog.records if r.name == "userlink"]
    line = json.loads(JsonFormatter().format(record))
    assert answer.status_code == 500
    assert answer.json()["ref"] == "ops-error-ref-1"
    assert line["ref"] == "ops-error-ref-1"
    assert line["level"] == "error"
    assert "OperationalError" in line["exception"]
    assert "0" * 128 not in json.dumps(line)


def test_text_format_is_for_people_and_json_for_machines():
    text = logging_config("text", "info")
    structured = logging_config("json", "warning")

    assert "format" in text["formatters"]["default"]
    assert structured["formatters"]["default"] == {"()": "userlink.kit.logs.JsonFormatter"}
    assert structured["loggers"]["userlink"]["level"] == "WARNING"
    assert structured["loggers"]["uvicorn.access"]["handlers"] == []

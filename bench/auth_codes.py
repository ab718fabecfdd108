"""Issuing and redeeming authentication codes, against a one-INSERT request of the same server.

Rows, in this order, on one server process:
1. `POST /bench/noop`: the HTTP stack alone (informative).
2. `POST /bench/bare`: one INSERT in one transaction; the baseline of every ratio.
3. `POST /users/auth-code`: bearer API key, a new external id per request.
4. `POST /sdk/v1/users`: codes pre-issued through the service, each redeemed once with the device
   body of `userlink_testing.factories.devices.redeem_body` (a phone); every redemption creates a
   new user and its first install (no restore).
"""

from __future__ import annotations

import json
import math
import secrets

from bench.load import JSON, Measurement, Plan
from bench.scenario import Context, ScenarioResult
from userlink.api_keys import service as api_keys
from userlink.api_keys.rules import Scope
from userlink.auth_codes import service as auth_codes
from userlink.platform import Platform
from userlink_testing.factories.api_keys import make_key
from userlink_testing.factories.apps import make_app
from userlink_testing.factories.devices import bearer, redeem_body

NAME = "auth-codes"
DESCRIPTION = "POST /users/auth-code and POST /sdk/v1/users against a one-INSERT route"

BARE = "POST /bench/bare"
ISSUE_BATCH = 500
MAX_CODES = 200_000


def run(ctx: Context) -> ScenarioResult:
    app = make_app(ctx.platform, name="bench app").app
    key = make_key(ctx.platform, app.id, name="bench key")
    run_id = secrets.token_hex(4)

    def body(prefix: str) -> str:
        return json.dumps({"external_id": f"{prefix}-{run_id}-{{n}}"})

    rows = [
        ctx.measure(
            Plan("POST /bench/noop", "/bench/noop", body_template=body("noop"), note="no database")
        ),
        ctx.measure(Plan(BARE, "/bench/bare", body_template=body("bare"), note="one INSERT")),
    ]
    issue = ctx.measure(
        Plan(
            "POST /users/auth-code",
            "/users/auth-code",
            headers=JSON + tuple(bearer(key).items()),
            body_template=body("issue"),
        )
    )
    rows.append(issue)

    count = codes_needed(issue, ctx)
    codes = pre_issue(ctx.platform, key, [f"redeem-{run_id}-{n}" for n in range(count)])
    bodies = tuple(json.dumps(redeem_body(code)).encode() for code in codes)
    rows.append(ctx.measure(Plan("POST /sdk/v1/users", "/sdk/v1/users", bodies=bodies)))

    notes = [f"{count} codes pre-issued for the redemption row."]
    if rows[-1].exhausted:
        notes.append("The redemption row ran out of codes before its end (see its request count).")
    return ScenarioResult(NAME, DESCRIPTION, rows, baseline=BARE, notes=notes)


def codes_needed(issue: Measurement, ctx: Context) -> int:
    """Enough for the redemption row at the issuing rate plus a margin: redeeming does more work
    than issuing, so it should not be faster; if it is, the row ends early and says so."""
    options = ctx.options
    rate = max(issue.rate, 50.0)
    if options.requests:
        wanted = options.requests + rate * options.warmup * 1.5
    else:
        wanted = rate * (options.warmup + options.duration) * 1.3
    return min(MAX_CODES, math.ceil(wanted) + 4 * options.concurrency)


def pre_issue(platform: Platform, api_key: str, external_ids: list[str]) -> list[str]:
    """Codes through the auth-code service itself, a batch per transaction."""
    codes: list[str] = []
    for start in range(0, len(external_ids), ISSUE_BATCH):
        with platform.database.transaction() as connection:
            work = platform.work(connection)
            caller = api_keys.authenticate(work, api_key, Scope.USER_LINK)
            codes += [
                auth_codes.issue(work, caller, external_id).code
                for external_id in external_ids[start : start + ISSUE_BATCH]
            ]
    return codes

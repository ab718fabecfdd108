-- POST /sdk/v1/payloads: data lines are access tokens of active installs, taken in turn (a
-- cycle); every request a batch of BENCH_BATCH payloads (100) with ids unique to the request.
-- The bodies are the ~200-byte trip summaries of bench/fixtures.py `payload_body`; the times, the
-- seconds just before the batch is sent (what the direct batch insert writes too).
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

local batch = tonumber(os.getenv("BENCH_BATCH") or "100")

-- What follows each payload's timestamp: its body (the same for every request).
local bodies = {}
for k = 0, batch - 1 do
  bodies[k] = string.format(
    '.000Z","body":{"trip_id":"trip-%010d",'
      .. '"mode":"car","distance_m":%d,"duration_s":1342,'
      .. '"start":{"lat":52.520008,"lon":13.404954,"accuracy_m":12.5},'
      .. '"end":{"lat":52.516275,"lon":13.377704,"accuracy_m":8.0}}}',
    k, 12873 + k % 1000)
end

-- Payload k of a batch occurred (batch - k) seconds before the second the batch is sent, as a
-- device uploads what it recorded lately: each user's rows arrive in time order. The text of the
-- batch's timestamps is made once per second.
local tails, tails_second = {}, nil
local function current_tails()
  local now = os.time()
  if now ~= tails_second then
    for k = 0, batch - 1 do
      tails[k] = '","type":"trip","timestamp":"' .. os.date("!%Y-%m-%dT%H:%M:%S", now - (batch - k))
        .. bodies[k]
    end
    tails_second = now
  end
  return tails
end

function make_request(token, n)
  local prefix = '{"id":"p' .. TAG .. "-" .. tid .. "-" .. n .. "-"
  local tails = current_tails()
  local items = {}
  for k = 0, batch - 1 do
    items[k + 1] = prefix .. k .. tails[k]
  end
  local body = '{"payloads":[' .. table.concat(items, ",") .. "]}"
  -- Headers given to wrk.format replace wrk.headers (all but Host): copy them.
  local headers = { Authorization = "Bearer " .. token }
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  return wrk.format("POST", "/sdk/v1/payloads", headers, body)
end

-- POST /sdk/v1/payloads: data lines are access tokens of active installs, taken in turn (a
-- cycle); every request a batch of BENCH_BATCH payloads (100) with ids unique to the request.
-- The bodies are the ~200-byte trip summaries of bench/fixtures.py `payload_body`.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

local batch = tonumber(os.getenv("BENCH_BATCH") or "100")

-- What follows each payload's id: its type, timestamp and body (the same for every request).
local tails = {}
for k = 0, batch - 1 do
  tails[k] = string.format(
    '","type":"trip","timestamp":"2026-11-21T10:%02d:%02d.000Z","body":{"trip_id":"trip-%010d",'
      .. '"mode":"car","distance_m":%d,"duration_s":1342,'
      .. '"start":{"lat":52.520008,"lon":13.404954,"accuracy_m":12.5},'
      .. '"end":{"lat":52.516275,"lon":13.377704,"accuracy_m":8.0}}}',
    math.floor(k / 60), k % 60, k, 12873 + k % 1000)
end

function make_request(token, n)
  local prefix = '{"id":"p' .. TAG .. "-" .. tid .. "-" .. n .. "-"
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

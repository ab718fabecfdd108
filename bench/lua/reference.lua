-- The reference apps (bench/reference_apps.py): POST BENCH_PATH (/hello or /one-insert) with a
-- small JSON body, a new external id per request (no data).
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

local path = os.getenv("BENCH_PATH") or "/hello"

function make_request(_line, n)
  local body = '{"external_id":"ref-' .. TAG .. "-" .. tid .. "-" .. n .. '"}'
  return wrk.format("POST", path, nil, body)
end

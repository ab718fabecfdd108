-- POST /users/auth-code with the API key (scope user.link) in BENCH_API_KEY; a new external id
-- per request (no data).
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_API_KEY") or "")

function make_request(_line, n)
  local body = '{"external_id":"code-' .. TAG .. "-" .. tid .. "-" .. n .. '"}'
  return wrk.format("POST", "/users/auth-code", nil, body)
end

-- POST /v2/users/{install_id}/link with the API key (user.link) in BENCH_API_KEY: data lines are
-- the install ids of registered, not yet linked installs (legacy flow), each linked once to a new
-- external id.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_API_KEY") or "")

function make_request(install_id, n)
  local body = '{"external_id":"link-' .. TAG .. "-" .. tid .. "-" .. n .. '"}'
  return wrk.format("POST", "/v2/users/" .. install_id .. "/link", nil, body)
end

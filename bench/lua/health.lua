-- GET /health (no data): the platform's cheapest route, against the hello reference app.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

function make_request(_line, _n)
  return wrk.format("GET", "/health")
end

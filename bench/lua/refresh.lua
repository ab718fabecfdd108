-- POST /sdk/v1/token: data lines are refresh tokens of distinct installs, each used once.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

function make_request(token, _n)
  return wrk.format("POST", "/sdk/v1/token", nil, '{"refresh_token":"' .. token .. '"}')
end

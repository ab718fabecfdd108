-- POST /sdk/v1/users: data lines are pre-minted authentication codes, each redeemed once, with a
-- new installation nonce per request and the device of a phone (no Authorization: the code is
-- the credential).
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

local device = '"device":{"platform":"android","os_version":"14","model":"Pixel 8",'
  .. '"screen_diagonal_inches":6.2},"app":{"app_version":"1.0.0","sdk_version":"0.1.0"}'

function make_request(code, n)
  local nonce = "nonce-" .. TAG .. "-" .. tid .. "-" .. n .. "-bench"
  local body = '{"authentication_code":"' .. code .. '","installation_nonce":"' .. nonce .. '",'
    .. device .. "}"
  return wrk.format("POST", "/sdk/v1/users", nil, body)
end

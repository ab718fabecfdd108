-- GET /v2/users/{id} with the API key (user.read) in BENCH_API_KEY: data lines are user ids
-- (each user with one install), read in a cycle.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_API_KEY") or "")

function make_request(user_id, _n)
  return wrk.format("GET", "/v2/users/" .. user_id)
end

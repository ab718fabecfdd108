-- GET /v2/users/{id}/timeline?limit=100&cursor=... with the API key (user.read) in BENCH_API_KEY:
-- data lines are whole paths, each a page after a random payload of the measured user, read in a
-- cycle.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_API_KEY") or "")

function make_request(path, _n)
  return wrk.format("GET", path)
end

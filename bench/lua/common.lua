-- Shared by every scenario script (loaded with dofile from the script's own directory).
--
-- A scenario script defines `make_request(line, n)`, returning the request for data line `line`
-- (nil when the scenario reads no data) and the thread's request number `n` (1, 2, ...), built
-- with wrk.format. Everything else is here:
--
--   setup(thread)  numbers the threads, so thread i reads its own data file `<BENCH_DATA>.<i>`:
--                  the bench writes one file per thread, disjoint slices of the scenario's data.
--   init()         reads that file, one request's data per line.
--   request()      the next line (once each, or in a cycle with BENCH_CYCLE=1); when the lines
--                  run out the thread stops and the run is reported `exhausted`.
--   response()     counts answers that are not 2xx and keeps two of them as samples.
--   delay()        only with BENCH_RATE > 0: paces each thread to BENCH_RATE / BENCH_THREADS
--                  requests per second (an absolute schedule, so the offered rate holds).
--   done()         prints one line, "BENCH-RESULT <json>", read by bench/wrk.py.
--
-- Settings come from the environment (every thread's Lua state reads the same values):
-- BENCH_DATA, BENCH_CYCLE, BENCH_RATE, BENCH_THREADS, BENCH_TAG (unique per wrk run, for ids),
-- BENCH_MAX_REQUESTS (per thread; 0 = no limit), plus the scenario's own (BENCH_API_KEY, ...).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) * 1000 + tonumber(timespec.tv_nsec) / 1e6
end

local function env_number(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then
    return default
  end
  return tonumber(value)
end

DATA = os.getenv("BENCH_DATA") or ""
CYCLE = os.getenv("BENCH_CYCLE") == "1"
RATE = env_number("BENCH_RATE", 0)
THREADS = env_number("BENCH_THREADS", 1)
MAX_REQUESTS = env_number("BENCH_MAX_REQUESTS", 0)
TAG = os.getenv("BENCH_TAG") or "t"

wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"

-- setup() and done() run in the main Lua state; the rest in each thread's own state.
local threads = {}

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

-- Per-thread state (globals, so that done() can read them through thread:get).
tid = 0
sent = 0
non2xx = 0
exhausted = 0
samples = ""
local lines = {}
local position = 0
local stopped = false

function init(_args)
  if DATA ~= "" then
    local path = DATA .. "." .. tid
    local file = io.open(path, "r")
    if file == nil then
      error("no data file " .. path)
    end
    for line in file:lines() do
      if line ~= "" then
        lines[#lines + 1] = line
      end
    end
    file:close()
  end
end

local function stop_thread()
  stopped = true
  wrk.thread:stop()
  -- Something must be returned; the loop stops before any answer to it is counted.
  return wrk.format("GET", "/health")
end

function request()
  if stopped then
    return wrk.format("GET", "/health")
  end
  if MAX_REQUESTS > 0 and sent >= MAX_REQUESTS then
    return stop_thread()
  end
  local line = nil
  if DATA ~= "" then
    if position >= #lines then
      if not CYCLE or #lines == 0 then
        exhausted = 1
        return stop_thread()
      end
      position = 0
    end
    position = position + 1
    line = lines[position]
  end
  sent = sent + 1
  return make_request(line, sent)
end

function response(status, _headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if non2xx <= 2 then
      samples = samples .. status .. " " .. string.sub(body or "", 1, 300) .. "\n"
    end
  end
end

if RATE > 0 then
  local interval = 1000 * THREADS / RATE -- ms between two requests of one thread
  local next_at = nil
  function delay()
    local now = now_ms()
    if next_at == nil then
      next_at = now
    end
    local slot = next_at
    next_at = next_at + interval
    if slot <= now then
      return 0
    end
    return slot - now
  end
end

local function json_string(value)
  value = string.gsub(value, '[%c"\\]', function(c)
    if c == '"' then
      return '\\"'
    elseif c == "\\" then
      return "\\\\"
    end
    return string.format("\\u%04x", string.byte(c))
  end)
  return '"' .. value .. '"'
end

local function number(value)
  if value ~= value or value == math.huge or value == -math.huge then
    return 0 -- no requests: no latency
  end
  return value
end

function done(summary, latency, _requests)
  local total_non2xx, total_exhausted, total_sent, all_samples = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    total_non2xx = total_non2xx + (thread:get("non2xx") or 0)
    total_exhausted = total_exhausted + (thread:get("exhausted") or 0)
    total_sent = total_sent + (thread:get("sent") or 0)
    all_samples = all_samples .. (thread:get("samples") or "")
  end
  local errors = summary.errors
  local parts = {
    '"requests":' .. summary.requests,
    '"duration_us":' .. summary.duration,
    '"bytes":' .. summary.bytes,
    '"sent":' .. total_sent,
    '"non2xx":' .. total_non2xx,
    '"exhausted":' .. total_exhausted,
    '"errors":{"connect":' .. errors.connect .. ',"read":' .. errors.read .. ',"write":'
      .. errors.write .. ',"status":' .. errors.status .. ',"timeout":' .. errors.timeout .. "}",
    '"latency_us":{"p50":' .. number(latency:percentile(50)) .. ',"p90":'
      .. number(latency:percentile(90)) .. ',"p99":' .. number(latency:percentile(99))
      .. ',"max":' .. number(latency.max) .. ',"mean":' .. number(latency.mean) .. "}",
    '"samples":' .. json_string(all_samples),
  }
  io.write("BENCH-RESULT {" .. table.concat(parts, ",") .. "}\n")
end

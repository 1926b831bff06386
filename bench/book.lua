-- wrk script for bench/mvp_compare.py: the same load for OPD Queue and the original MVP.
--
--   BENCH_MODE=post  POST $BENCH_PATH (default /api/v1/tokens/) with
--                    {"slot_id": ..., "patient_id": ..., "category": "WALKIN"}; slot and patient ids
--                    come from the file $BENCH_IDS ("s <uuid>" and "p <uuid>" lines). Every request
--                    is a new patient: each of the $BENCH_THREADS threads takes its own disjoint range
--                    of the patients, and deals its requests round-robin over the slots.
--   BENCH_MODE=get   GET $BENCH_PATH, the same request every time.
--   BENCH_HEADERS    extra request headers, "Name: value" lines (Authorization, Cookie).
--
-- done() prints "BENCH ..." lines that the Python side parses: counts per status (tallied in
-- response()), wrk's errors, and latency percentiles in microseconds.

local mode = os.getenv("BENCH_MODE") or "post"
local path = os.getenv("BENCH_PATH") or "/api/v1/tokens/"
local ids_file = os.getenv("BENCH_IDS")
local extra = os.getenv("BENCH_HEADERS") or ""
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")

-- setup() and done() run in the main Lua state; the rest in each thread's own state.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local headers, slots, patients = {}, {}, {}
local first, last, i = 1, 0, 0
local fixed = nil
statuses = {}
ran_out = 0

function init(args)
  for line in string.gmatch(extra, "[^\n]+") do
    local k, v = line:match("^([^:]+):%s*(.*)$")
    if k then headers[k] = v end
  end
  if mode == "post" then
    headers["Content-Type"] = "application/json"
    for line in io.lines(ids_file) do
      local kind, id = line:match("^(%a)%s+(%S+)$")
      if kind == "s" then
        slots[#slots + 1] = id
      elseif kind == "p" then
        patients[#patients + 1] = id
      end
    end
    local per = math.floor(#patients / nthreads)
    first = tid * per + 1
    last = first + per - 1
    i = first - 1
  else
    fixed = wrk.format("GET", path, headers)
  end
end

function request()
  if fixed then
    return fixed
  end
  i = i + 1
  if i > last then -- out of fresh patients: wrap (the repeats then show up as 4xx, and ran_out > 0)
    ran_out = ran_out + 1
    i = first
  end
  local slot = slots[(i % #slots) + 1]
  local body = string.format('{"slot_id":"%s","patient_id":"%s","category":"WALKIN"}', slot, patients[i])
  return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, wrapped = {}, 0
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
    wrapped = wrapped + (t:get("ran_out") or 0)
  end
  for status, n in pairs(total) do
    io.write(string.format("BENCH status %d %d\n", status, n))
  end
  io.write(string.format("BENCH requests %d\n", summary.requests))
  io.write(string.format("BENCH duration_us %d\n", summary.duration))
  local e = summary.errors
  io.write(string.format("BENCH errors connect=%d read=%d write=%d timeout=%d status=%d\n",
    e.connect, e.read, e.write, e.timeout, e.status))
  io.write(string.format("BENCH ran_out %d\n", wrapped))
  for _, q in ipairs({ 50, 95, 99 }) do
    io.write(string.format("BENCH p%d_us %d\n", q, latency:percentile(q)))
  end
  io.write(string.format("BENCH mean_us %d\n", latency.mean))
  io.write(string.format("BENCH max_us %d\n", latency.max))
end

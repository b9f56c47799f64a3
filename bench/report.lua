-- wrk script: cycle through the paths listed in $BENCH_PATHS (one per line), if set;
-- at the end print one JSON line with throughput, latency percentiles (ms) and errors.
local paths = {}
local file = os.getenv("BENCH_PATHS") and io.open(os.getenv("BENCH_PATHS"))
if file then
  for line in file:lines() do if #line > 0 then paths[#paths + 1] = line end end
  file:close()
end
local counter = 0
local threads = 0

-- Each wrk thread starts at its own point of the list (bench.run uses two threads), so the
-- threads do not ask for the same path at the same moment.
setup = function(thread)
  thread:set("id", threads)
  threads = threads + 1
end

init = function(args)
  if #paths > 0 then counter = (id or 0) * math.floor(#paths / 2) end
end

request = function()
  if #paths == 0 then return wrk.format(nil) end
  counter = counter + 1
  return wrk.format(nil, paths[(counter % #paths) + 1])
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f,' ..
    ' "max_ms": %.2f, "errors": %d, "non_2xx": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.connect + errors.read + errors.write + errors.timeout, errors.status))
end

-- wrk script: POST /v1/usage, one event per request, each with an idempotency key of its own.
-- Environment: USAGE_CUSTOMERS (default 1: every event for bench-customer; N: bench-1 … bench-N
-- at random), USAGE_BATCH (default 0: one event per request; N: POST /v1/usage/batch with N
-- events), USAGE_PATH (default /v1/usage; /v1/usage/consume), USAGE_FEATURE (default api.requests).
local customers = tonumber(os.getenv("USAGE_CUSTOMERS") or "1")
local batch = tonumber(os.getenv("USAGE_BATCH") or "0")
local path = os.getenv("USAGE_PATH") or "/v1/usage"
local feature = os.getenv("USAGE_FEATURE") or "api.requests"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
local prefix = ""

function setup(thread)
  thread:set("id", tostring(math.random(1, 1e9)))
end

function init(args)
  prefix = (id or tostring(math.random(1, 1e9))) .. "-" .. tostring(os.time())
  math.randomseed(os.time() + tonumber(id or "1"))
end

local function customer()
  if customers <= 1 then return "bench-customer" end
  return "bench-" .. math.random(1, customers)
end

local function event()
  counter = counter + 1
  return '{"customer":"' .. customer() .. '","feature":"' .. feature .. '","quantity":1,"idempotency_key":"' .. prefix .. "-" .. counter .. '"}'
end

function request()
  if batch > 0 then
    local events = {}
    for i = 1, batch do events[i] = event() end
    return wrk.format("POST", "/v1/usage/batch", nil, '{"events":[' .. table.concat(events, ",") .. "]}")
  end
  return wrk.format("POST", path, nil, event())
end

-- PUT /documents/{id} with version chains. $CHAINS_FILE has "<id> <version>" lines, one per
-- connection; thread k of n takes lines k, k+n, …. A request takes a chain from the
-- thread's queue; the 200 response (it carries id and the new version) puts it back, so
-- every chain is strictly sequential and each PUT sends the current version: no 409
-- unless something is wrong (counted as chains_broken).
dofile(os.getenv("LUA_DIR") .. "/report.lua")
local threads, next_id = {}, 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end
queue, starved, broken, n = {}, 0, 0, 0
local base = nil
function init(args)
  local t, i = tonumber(os.getenv("WRK_THREADS")), 0
  for line in io.lines(os.getenv("CHAINS_FILE")) do
    if i % t == id then
      local doc, version = line:match("^(%S+)%s+(%d+)$")
      table.insert(queue, { doc, tonumber(version) })
    end
    i = i + 1
  end
  -- About 2 KB of Markdown; each PUT appends a different last line, so every PUT is a real
  -- change (new version row + diff).
  local lines = { "# Edited in the update benchmark", "" }
  for k = 1, 40 do
    table.insert(lines, "- item " .. k .. ": the project team reviews the budget and the release plan")
  end
  base = table.concat(lines, "\\n")
end
verified = false
function request()
  -- wrk calls request() once on thread 0 before connecting, to check it: only peek then.
  local chain
  if id == 0 and not verified then
    verified = true
    chain = queue[1]
  else
    chain = table.remove(queue, 1)
  end
  if chain == nil then starved = starved + 1; chain = { "00000000-0000-0000-0000-000000000000", 0 } end
  n = n + 1
  local body = '{"content":"' .. base .. '\\n\\nedit ' .. id .. "-" .. n .. '","version":' .. chain[2] .. '}'
  return wrk.format("PUT", "/documents/" .. chain[1], {
    ["Authorization"] = "Bearer " .. os.getenv("TOKEN"),
    ["Content-Type"] = "application/json",
  }, body)
end
function response(status, headers, body)
  local doc = status == 200 and body:match('"id":"([^"]+)"')
  local version = status == 200 and body:match('"version":(%d+)')
  if doc and version then
    table.insert(queue, { doc, tonumber(version) })
  else
    broken = broken + 1
  end
end
done = function(summary, latency, requests)
  local s, b = 0, 0
  for _, t in ipairs(threads) do s = s + t:get("starved"); b = b + t:get("broken") end
  report(summary, latency, string.format(" chains_broken=%d starved=%d", b, s))
end

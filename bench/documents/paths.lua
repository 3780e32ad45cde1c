-- GET the paths of $PATHS_FILE in turn. A line is "<path>" or "<path>\t<token>" (then the
-- request carries that token; else $TOKEN). Thread k of n takes lines k, k+n, k+2n, …, so
-- threads never share a path; each thread cycles through its share.
dofile(os.getenv("LUA_DIR") .. "/report.lua")
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
paths, tokens, pos = {}, {}, 0
function init(args)
  local n, i, default = tonumber(os.getenv("WRK_THREADS")), 0, os.getenv("TOKEN")
  for line in io.lines(os.getenv("PATHS_FILE")) do
    if i % n == id then
      local path, token = line:match("^([^\t]+)\t?(.*)$")
      table.insert(paths, path)
      table.insert(tokens, token ~= "" and token or default)
    end
    i = i + 1
  end
end
function request()
  pos = pos % #paths + 1
  return wrk.format("GET", paths[pos], { ["Authorization"] = "Bearer " .. tokens[pos] })
end
done = function(summary, latency, requests)
  report(summary, latency)
end

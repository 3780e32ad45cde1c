-- GET one fixed path (the URL given to wrk) with $TOKEN.
dofile(os.getenv("LUA_DIR") .. "/report.lua")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
done = function(summary, latency, requests) report(summary, latency) end

-- bench/wrk/chart_cold.lua:
--   wrk -s chart_cold.lua URL -- AREAS EXT THREADS [OFFSET]
-- Every request a different chart: AREAS is a comma-separated list (taken
-- in turn), EXT svg or png, the last year, one of the drawable indicators,
-- width 600..1000 and height 250..349 (around the dashboard's 800x300), so
-- that the chart cache always misses. Request k of all threads maps to a
-- unique chart for k below 8 * 401 * 100 times the number of areas; runs
-- over the same areas with OFFSETs far apart ask for different charts.
local ids = {
	"gp_coverage", "remote_coverage", "outreach_reach", "staff_per_1000",
	"hours_per_1000", "contacts_per_1000", "remote_share",
	"assessments_ontime_pct",
}
local n_setup = 0
local areas, ext, n_threads = { "KU091" }, "svg", 1
local counter, offset = 0, 0

function setup(thread)
	thread:set("tid", n_setup)
	n_setup = n_setup + 1
end

function init(args)
	if args[1] then
		areas = {}
		for a in string.gmatch(args[1], "[^,]+") do
			areas[#areas + 1] = a
		end
	end
	ext = args[2] or ext
	n_threads = tonumber(args[3] or "1")
	offset = tonumber(args[4] or "0")
end

function request()
	local k = offset + counter * n_threads + (tid or 0)
	counter = counter + 1
	local area = areas[k % #areas + 1]
	k = math.floor(k / #areas)
	local id = ids[k % #ids + 1]
	k = math.floor(k / #ids)
	local width = 600 + k % 401
	k = math.floor(k / 401)
	local height = 250 + k % 100
	return wrk.format("GET", string.format(
		"/chart/%s/%s.%s?lang=en&width=%d&height=%d",
		area, id, ext, width, height))
end

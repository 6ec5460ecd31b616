-- bench/wrk/chart_cold.lua:
--   wrk -s chart_cold.lua URL -- AREAS EXT THREADS [OFFSET]
-- Every request a different chart: AREAS is a comma-separated list (taken
-- in turn), EXT svg or png, one of the drawable indicators, the
-- dashboard's 800x300, and a window of 12..36 months ending 0..119 months
-- before this one. The daemon rounds sizes to a few and ranges to whole
-- months, so the months are what make each chart another cache key:
-- request k of all threads maps to a unique chart for k below
-- 8 * 25 * 120 times the number of areas; runs over the same areas with
-- OFFSETs far apart ask for different charts (wrapping around, a chart
-- pushed out of the cache long ago).
local ids = {
	"gp_coverage", "remote_coverage", "outreach_reach", "staff_per_1000",
	"hours_per_1000", "contacts_per_1000", "remote_share",
	"assessments_ontime_pct",
}
local n_setup = 0
local areas, ext, n_threads = { "KU091" }, "svg", 1
local counter, offset = 0, 0
local now = os.date("!*t")
local this = now.year * 12 + (now.month - 1) -- months since year 0, UTC

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

local function ym(m)
	return string.format("%04d-%02d", math.floor(m / 12), m % 12 + 1)
end

function request()
	local k = offset + counter * n_threads + (tid or 0)
	counter = counter + 1
	local area = areas[k % #areas + 1]
	k = math.floor(k / #areas)
	local id = ids[k % #ids + 1]
	k = math.floor(k / #ids)
	local len = 12 + k % 25
	k = math.floor(k / 25)
	local e = this - k % 120
	return wrk.format("GET", string.format(
		"/chart/%s/%s.%s?lang=en&width=800&height=300&start=%s&end=%s",
		area, id, ext, ym(e - len + 1), ym(e)))
end

-- bench/wrk/data_cold.lua:
--   wrk -s data_cold.lua URL -- LEVEL FORMAT THREADS [MONTHS]
-- /api/v1/data for every indicator (indicator=*) of every area of LEVEL
-- (region: 19 x 9 x 24 = 4,104 rows; municipality: 308 x 9 x 24 =
-- 66,528), 24 months, as FORMAT (json or csv), each request computed
-- afresh. The daemon keeps no response cache for /api/v1/data, so every
-- request is uncached anyway; each one still asks for another 24-month
-- window (YYYY-MM..YYYY-MM, ending 0..MONTHS-24 months before the
-- previous month) and another language, so that no cache added later
-- could answer it without the bench saying so. MONTHS (default 180) is
-- the history the daemon holds, ending with the previous month: every
-- cell of every window is a reported month.
local level, format, n_threads, months = "region", "csv", 1, 180
local langs = { "fi", "sv", "en" }
local n_setup = 0
local counter = 0
local now = os.date("!*t")
-- months since year 0 of the previous month, UTC
local last = now.year * 12 + (now.month - 1) - 1

function setup(thread)
	thread:set("tid", n_setup)
	n_setup = n_setup + 1
end

function init(args)
	level = args[1] or level
	format = args[2] or format
	n_threads = tonumber(args[3] or "1")
	months = tonumber(args[4] or months)
	if level ~= "region" and level ~= "municipality" then
		error("data_cold.lua: LEVEL is region or municipality, not " .. level)
	end
	if format ~= "json" and format ~= "csv" then
		error("data_cold.lua: FORMAT is json or csv, not " .. format)
	end
	if months < 24 then
		error("data_cold.lua: MONTHS is at least 24")
	end
end

local function ym(m)
	return string.format("%04d-%02d", math.floor(m / 12), m % 12 + 1)
end

function request()
	local k = counter * n_threads + (tid or 0)
	counter = counter + 1
	local lang = langs[k % #langs + 1]
	local e = last - math.floor(k / #langs) % (months - 24 + 1)
	return wrk.format("GET", string.format(
		"/api/v1/data%s?indicator=*&level=%s&period=%s..%s&lang=%s",
		format == "csv" and ".csv" or "", level, ym(e - 23), ym(e), lang))
end

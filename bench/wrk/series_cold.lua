-- bench/wrk/series_cold.lua:
--   wrk -s series_cold.lua URL -- AREA THREADS [month|day] [MONTHS]
-- Every request a different series cache key for AREA, so that the
-- daemon's response cache always misses, asking what the dashboard asks
-- but at another place in time.
--
-- month (the default): monthly points (step=month, the default: not in
-- the URL), start and end as YYYY-MM. The dashboard's two years hold 24
-- months; since the cache key is the resolved months, 24-month windows
-- alone give too few keys (25 ids x the window's places), so a window is
-- 12..36 months long, every length as often (24 on average: the work per
-- request is linear in the months), ending 0..MONTHS-36 months before the
-- previous month. MONTHS (default 180) is how much history the daemon
-- holds, ending with the previous month: every point of every window is a
-- reported month. Request k of all threads maps to a unique (length, id,
-- place) for k below 25 * 25 * (MONTHS - 35) (90,625 for 180). That many
-- answers (about 1.2 KB each in the cache) are more than the response
-- cache's 64 MiB: wrapping around, the least recently used entry, pushed
-- out, is always the next one asked for, so every request misses however
-- long the run.
--
-- day: v1's figure, a year (365..396 days) at step=86400, ending 1..120
-- days ago, in Unix seconds: unique for k below 25 * 120 * 32 = 96,000,
-- answers of about 10 KB.
local ids = {
	"gp_coverage", "remote_coverage", "outreach_reach", "staff_per_1000",
	"hours_per_1000", "contacts_per_1000", "remote_share",
	"assessments_ontime_pct", "reporting_rate",
	"gp_open", "gp_remote", "gp_hours", "gp_languages", "staff_fte",
	"contacts", "contacts_remote", "outreach_events", "target_olf",
	"reached_olf", "reached_parents", "assessments", "assessments_ontime",
	"integration_plans", "orientation", "referrals",
}
local MIN_MONTHS, N_LENGTHS = 12, 25 -- 12..36
local n_setup = 0
local area, n_threads, mode, months = "SSS", 1, "month", 180
local counter = 0
local today = os.time() - os.time() % 86400
local now = os.date("!*t")
-- months since year 0 of the previous month, UTC
local last = now.year * 12 + (now.month - 1) - 1

function setup(thread)
	thread:set("tid", n_setup)
	n_setup = n_setup + 1
end

function init(args)
	area = args[1] or area
	n_threads = tonumber(args[2] or "1")
	mode = args[3] or mode
	months = tonumber(args[4] or months)
	if mode ~= "month" and mode ~= "day" then
		error("series_cold.lua: mode is month or day, not " .. mode)
	end
	if mode == "month" and months < MIN_MONTHS + N_LENGTHS then
		error("series_cold.lua: MONTHS is at least 37")
	end
end

local function ym(m)
	return string.format("%04d-%02d", math.floor(m / 12), m % 12 + 1)
end

local function monthly(k)
	local len = MIN_MONTHS + k % N_LENGTHS
	k = math.floor(k / N_LENGTHS)
	local id = ids[k % #ids + 1]
	k = math.floor(k / #ids)
	local e = last - k % (months - (MIN_MONTHS + N_LENGTHS - 1) + 1)
	return string.format("/api/v1/series?area=%s&indicator=%s&start=%s&end=%s",
		area, id, ym(e - len + 1), ym(e))
end

local function daily(k)
	local id = ids[k % #ids + 1]
	k = math.floor(k / #ids)
	local day = k % 120 + 1
	k = math.floor(k / 120)
	local span = 365 + k % 32
	local e = today - day * 86400
	local s = e - span * 86400
	return string.format(
		"/api/v1/series?area=%s&indicator=%s&start=%d&end=%d&step=86400",
		area, id, s, e)
end

function request()
	local k = counter * n_threads + (tid or 0)
	counter = counter + 1
	return wrk.format("GET", mode == "month" and monthly(k) or daily(k))
end

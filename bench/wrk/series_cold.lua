-- bench/wrk/series_cold.lua: wrk -s series_cold.lua URL -- AREA THREADS
-- Every request a different series cache key for AREA: a year (365..396
-- days) at a daily step, ending 1..120 days ago, of one of the indicators
-- or measures, so that the daemon's response cache always misses. Windows
-- end recently, so they cover the imported history (from 13 months back)
-- as a real year's chart would. Request k of all threads maps to a unique
-- (id, end day, span) for k below 24 * 120 * 32 = 92160.
local ids = {
	"gp_coverage", "remote_coverage", "outreach_reach", "staff_per_1000",
	"hours_per_1000", "contacts_per_1000", "remote_share",
	"assessments_ontime_pct",
	"gp_open", "gp_remote", "gp_hours", "gp_languages", "staff_fte",
	"contacts", "contacts_remote", "outreach_events", "target_olf",
	"reached_olf", "reached_parents", "assessments", "assessments_ontime",
	"integration_plans", "orientation", "referrals",
}
local n_setup = 0
local area, n_threads = "SSS", 1
local counter = 0
local today = os.time() - os.time() % 86400

function setup(thread)
	thread:set("tid", n_setup)
	n_setup = n_setup + 1
end

function init(args)
	area = args[1] or area
	n_threads = tonumber(args[2] or "1")
end

function request()
	local k = counter * n_threads + (tid or 0)
	counter = counter + 1
	local id = ids[k % #ids + 1]
	k = math.floor(k / #ids)
	local day = k % 120 + 1
	k = math.floor(k / 120)
	local span = 365 + k % 32
	local e = today - day * 86400
	local s = e - span * 86400
	return wrk.format("GET", string.format(
		"/api/v1/series?area=%s&indicator=%s&start=%d&end=%d&step=86400",
		area, id, s, e))
end

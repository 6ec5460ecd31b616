#!/bin/sh
# tests/demo-roles.sh MUNICIPALITIES.csv: the part each municipality plays
# in the demo and the browser tests, one "KUxxx ROLE" line each, picked by
# its place in the catalog so every run tells the same story:
#   ok               polled, on time
#   submission       reports by submission (no endpoint), history imported
#   never            reports by submission and never did
#   late             polled, still serves a period two months old
#   failing_503 failing_500 failing_404 failing_garbage
#                    polled, the interface fails; history until two months ago
#   never_seen       polled, fails, and no history: never reported
#   rejects_range    polled, gp_hours = 500 is rejected (max 168)
#   rejects_null     polled, staff_fte null is rejected
#   violation        polled, breaks contacts_remote <= contacts
awk -F, 'NR > 1 {
	i = NR - 2
	code = "KU" $1
	if (i % 16 == 7) role = (i % 48 == 7) ? "never" : "submission"
	else if (i % 61 == 30) role = "never_seen"
	else if (i % 23 == 5) {
		k = int(i / 23) % 6
		role = k == 1 ? "failing_500" : k == 3 ? "failing_404" : k == 5 ? "failing_garbage" : "failing_503"
	}
	else if (i % 29 == 11) role = "late"
	else if (i % 37 == 3) role = "rejects_range"
	else if (i % 41 == 9) role = "rejects_null"
	else if (i % 43 == 13) role = "violation"
	else role = "ok"
	print code, role
}' "$1"

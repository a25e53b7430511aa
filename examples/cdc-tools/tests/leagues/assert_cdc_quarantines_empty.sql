-- The CDC tool delivers clean, in-order changes, so no history model meets a late change, a row
-- behind its cursor or an unknown operation, also when a week is delivered twice: every history
-- quarantine stays empty.
-- depends_on: {{ ref "ligue_tiers" }}
-- depends_on: {{ ref "event_types" }}
-- depends_on: {{ ref "lessons" }}
-- depends_on: {{ ref "users" }}
-- depends_on: {{ ref "ligue_instances" }}
-- depends_on: {{ ref "ligue_assignment" }}
SELECT 'ligue_tiers__quarantine' AS relation, count() AS quarantined_rows FROM {{ source "dwm" "ligue_tiers__quarantine" }} HAVING quarantined_rows > 0
UNION ALL
SELECT 'event_types__quarantine' AS relation, count() AS quarantined_rows FROM {{ source "dwm" "event_types__quarantine" }} HAVING quarantined_rows > 0
UNION ALL
SELECT 'lessons__quarantine' AS relation, count() AS quarantined_rows FROM {{ source "dwm" "lessons__quarantine" }} HAVING quarantined_rows > 0
UNION ALL
SELECT 'users__quarantine' AS relation, count() AS quarantined_rows FROM {{ source "dwm" "users__quarantine" }} HAVING quarantined_rows > 0
UNION ALL
SELECT 'ligue_instances__quarantine' AS relation, count() AS quarantined_rows FROM {{ source "dwm" "ligue_instances__quarantine" }} HAVING quarantined_rows > 0
UNION ALL
SELECT 'ligue_assignment__quarantine' AS relation, count() AS quarantined_rows FROM {{ source "dwm" "ligue_assignment__quarantine" }} HAVING quarantined_rows > 0

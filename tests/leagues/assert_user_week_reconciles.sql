-- fct_user_week reconciles with its sources: exactly one row per current assignment (same group,
-- ranks, XP and outcome), the XP equals the completed lessons' XP parsed from the clickstream, and
-- the starting ranks of every group are 1..n by the previous week's XP (members who did not play it
-- last, ties by user_id), and the stayers of a group who play again stay together, apart from other
-- groups' stayers (docs/generator.md, rules 2 and 3). Each failing row names the check it fails.
-- Batch-scoped by week: the checks read the weeks from the earliest one that the clickstream and
-- lesson rows loaded since the test last passed touch (batch_ref), and every later week, with the
-- week before for the rank and stayer checks. An earlier week did not change: a week's
-- assignments change during that week (placed at its start, closed at its end), so their changes
-- arrive with that week's events; its XP changes only through new lesson rows; fct_user_week
-- rebuilds a week from those. (Not the assignment staging model's batches: a project fed by a CDC
-- tool, examples/cdc-tools, has none.) With nothing new since the last pass the checks read no
-- week; the first run, --full and an edited test read them all.
WITH
    since AS (
        SELECT minOrNull(w) AS first_week
        FROM (SELECT toMonday(event_date) AS w FROM {{ batch_ref "event_stream" }}
              UNION ALL SELECT week_start_date FROM {{ batch_ref "user_activity" }})
    ),
    f AS (SELECT * FROM {{ ref "fct_user_week" }} WHERE week_start_date >= (SELECT first_week FROM since)),
    -- the previous week of each checked week
    p AS (SELECT * FROM {{ ref "fct_user_week" }} WHERE week_start_date >= (SELECT first_week FROM since) - 7),
    a AS (
        SELECT * FROM {{ ref "ligue_assignment" }}
        WHERE is_current AND is_active AND week_start_date >= (SELECT first_week FROM since)
    ),
    activity AS (
        SELECT user_id, week_start_date, toUInt64(sumIf(xp_earned, status = 'completed')) AS xp
        FROM {{ ref "user_activity" }}
        WHERE week_start_date >= (SELECT first_week FROM since)
        GROUP BY user_id, week_start_date
    ),
    ranked AS (
        SELECT f.user_id AS user_id, f.week_start_date AS week_start_date, f.starting_rank AS starting_rank,
               toUInt16(row_number() OVER (PARTITION BY f.instance_id
                   ORDER BY p.user_id = 0, p.xp DESC, f.user_id)) AS expected
        FROM f
        LEFT JOIN p ON p.user_id = f.user_id AND p.week_start_date = f.week_start_date - 7
    ),
    stayers AS (
        SELECT f.week_start_date AS week_start_date, f.user_id AS user_id, f.instance_id AS instance_id,
               p.instance_id AS last_instance_id
        FROM f JOIN p ON p.user_id = f.user_id AND p.week_start_date = f.week_start_date - 7
        WHERE p.outcome = 'stayed'
    )
SELECT 'assignment without a user-week row, or the reverse' AS failure, a.user_id AS user_id, a.week_start_date AS week_start_date
FROM a FULL JOIN f ON f.user_id = a.user_id AND f.week_start_date = a.week_start_date
WHERE f.user_id = 0 OR a.user_id = 0
   OR f.instance_id != a.instance_id OR f.xp != a.total_xp_earned
   OR NOT (f.final_rank <=> a.final_rank) OR NOT (f.outcome <=> a.outcome) OR NOT (f.starting_rank <=> a.starting_rank)
UNION ALL
SELECT 'xp differs from the clickstream', f.user_id, f.week_start_date
FROM f LEFT JOIN activity AS x ON x.user_id = f.user_id AND x.week_start_date = f.week_start_date
WHERE f.final_rank IS NOT NULL AND f.xp != x.xp
UNION ALL
SELECT 'starting_rank does not follow the previous week''s XP', user_id, week_start_date
FROM ranked WHERE NOT (starting_rank <=> expected)
UNION ALL
SELECT 'the stayers of last week''s group are split', min(user_id), week_start_date
FROM stayers GROUP BY week_start_date, last_instance_id HAVING uniqExact(instance_id) > 1
UNION ALL
SELECT 'the group holds the stayers of two last-week groups', min(user_id), week_start_date
FROM stayers GROUP BY week_start_date, instance_id HAVING uniqExact(last_instance_id) > 1
SETTINGS join_use_nulls = 0

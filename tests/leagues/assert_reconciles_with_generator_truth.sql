-- The warehouse tells the same story as the generator's manifests, week by week: participants,
-- groups, outcomes, total XP and lesson completions.
WITH wh AS (
    SELECT week_start_date,
           toUInt32(count()) AS participating_users,
           toUInt32(uniqExact(instance_id)) AS groups,
           toUInt32(countIf(outcome = 'promoted')) AS promoted,
           toUInt32(countIf(outcome = 'relegated')) AS relegated,
           toUInt32(countIf(outcome = 'stayed')) AS stayed,
           toUInt64(sum(total_xp_earned)) AS total_xp
    FROM {{ ref "ligue_assignment" }}
    WHERE is_current AND final_rank IS NOT NULL
    GROUP BY week_start_date
),
lessons AS (
    SELECT week_start_date, toUInt64(countIf(status = 'completed')) AS lesson_completions
    FROM {{ ref "user_activity" }}
    GROUP BY week_start_date
)
SELECT t.week AS week, t.week_start_date AS week_start_date,
       t.participating_users AS truth_participants, w.participating_users AS wh_participants,
       t.groups AS truth_groups, w.groups AS wh_groups,
       t.promoted AS truth_promoted, w.promoted AS wh_promoted,
       t.relegated AS truth_relegated, w.relegated AS wh_relegated,
       t.total_xp AS truth_xp, w.total_xp AS wh_xp,
       t.lesson_completions AS truth_lessons, l.lesson_completions AS wh_lessons
FROM {{ ref "generator_truth" }} AS t
LEFT JOIN wh AS w ON w.week_start_date = t.week_start_date
LEFT JOIN lessons AS l ON l.week_start_date = t.week_start_date
WHERE t.participating_users != w.participating_users OR t.groups != w.groups OR t.promoted != w.promoted
   OR t.relegated != w.relegated OR t.stayed != w.stayed OR t.total_xp != w.total_xp
   OR t.lesson_completions != l.lesson_completions
SETTINGS join_use_nulls = 0

-- mart_lesson_performance accounts for every parsed lesson outcome exactly once: per week, attempts,
-- completions and XP equal user_activity's, and completions equal the generator's truth.
WITH
    mart AS (
        SELECT week_start_date, sum(attempts) AS attempts, sum(completions) AS completions, sum(xp_earned) AS xp
        FROM {{ ref "mart_lesson_performance" }}
        GROUP BY week_start_date
    ),
    activity AS (
        SELECT week_start_date, count() AS attempts, countIf(status = 'completed') AS completions, sum(xp_earned) AS xp
        FROM {{ ref "user_activity" }}
        GROUP BY week_start_date
    )
SELECT t.week_start_date AS week_start_date, m.attempts AS mart_attempts, a.attempts AS activity_attempts,
       m.completions AS mart_completions, a.completions AS activity_completions,
       t.lesson_completions AS truth_completions, m.xp AS mart_xp, t.total_xp AS truth_xp
FROM {{ ref "generator_truth" }} AS t
LEFT JOIN mart AS m ON m.week_start_date = t.week_start_date
LEFT JOIN activity AS a ON a.week_start_date = t.week_start_date
WHERE m.attempts != a.attempts OR m.completions != a.completions OR m.completions != t.lesson_completions
   OR m.xp != t.total_xp
SETTINGS join_use_nulls = 0

{{- /* Lesson performance per league week, language and difficulty: attempts (lessons finished, completed
       or failed), completion and fail rates, score, mistakes, time and XP. Each attempt takes the
       lesson's catalogue version valid when the lesson ended (ASOF JOIN on valid_from), so a lesson
       that later moves to another difficulty keeps its old one for its old attempts. */ -}}
{{ config "materialized" "table" "order_by" "(week_start_date, language, difficulty)" }}
SELECT
    a.week_start_date AS week_start_date,
    l.language AS language,
    l.difficulty AS difficulty,
    toUInt32(uniqExact(a.lesson_id)) AS lessons,
    toUInt32(uniqExact(a.user_id)) AS learners,
    toUInt32(count()) AS attempts,
    toUInt32(countIf(a.status = 'completed')) AS completions,
    toUInt32(countIf(a.status = 'failed')) AS failures,
    round(completions / attempts, 4) AS completion_rate,
    round(failures / attempts, 4) AS fail_rate,
    round(avg(a.score), 2) AS avg_score,
    round(avgIf(a.score, a.status = 'completed'), 2) AS avg_score_completed,
    round(avg(a.mistakes_made), 2) AS avg_mistakes,
    round(avg(a.time_spent_seconds), 1) AS avg_time_spent_seconds,
    toUInt64(sum(a.time_spent_seconds)) AS total_time_spent_seconds,
    toUInt64(sum(a.xp_earned)) AS xp_earned
FROM {{ ref "user_activity" }} AS a
ASOF INNER JOIN (
    SELECT lesson_id, language, difficulty, valid_from FROM {{ ref "lessons" }}
) AS l ON l.lesson_id = a.lesson_id AND a.activity_timestamp >= l.valid_from
GROUP BY week_start_date, language, difficulty

-- A user's next league week is played in the tier the previous outcome moved them to
-- (promoted +1, relegated -1, stayed 0); weeks skipped in between keep the tier.
SELECT user_id, week_start_date, tier_id, outcome, next_week, next_tier
FROM (
    SELECT user_id, week_start_date, tier_id, outcome,
           leadInFrame(week_start_date) OVER w AS next_week,
           leadInFrame(tier_id) OVER w AS next_tier
    FROM {{ ref "ligue_assignment" }}
    WHERE is_current AND final_rank IS NOT NULL
    WINDOW w AS (PARTITION BY user_id ORDER BY week_start_date ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING)
)
WHERE next_week > toDate('1970-01-01')
  AND toInt16(next_tier) != toInt16(tier_id) + multiIf(outcome = 'promoted', 1, outcome = 'relegated', -1, 0)

{{- /* Subscription-tier movement per week, from the users history (SCD2): every version whose
       subscription_tier differs from the version before is a move from_tier -> to_tier; an account's
       first version is a move from '(new)', its deletion a move to '(deleted)'. A change is counted
       in the week (Monday to Sunday, UTC) of its valid_from. Summing net moves over the weeks gives
       the accounts per tier at the end of each week (the test assert_subscription_movement_stock
       checks that against the history as of that instant). */ -}}
{{ config "materialized" "table" "order_by" "(week_start_date, from_tier, to_tier)" }}
WITH versions AS (
    SELECT
        user_id,
        valid_from,
        version,
        subscription_tier,
        is_deleted,
        lagInFrame(subscription_tier) OVER w AS prev_tier,
        lagInFrame(is_deleted) OVER w AS prev_deleted
    FROM {{ ref "users" }}
    WINDOW w AS (PARTITION BY user_id ORDER BY version ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)
),
moves AS (
    SELECT
        user_id,
        toMonday(valid_from) AS week_start_date,
        multiIf(version = 1, '(new)', toString(prev_tier)) AS from_tier,
        multiIf(is_deleted, '(deleted)', toString(subscription_tier)) AS to_tier
    FROM versions
    WHERE version = 1
       OR (is_deleted AND NOT prev_deleted)
       OR (NOT is_deleted AND subscription_tier != prev_tier)
)
SELECT
    week_start_date,
    CAST(from_tier AS LowCardinality(String)) AS from_tier,
    CAST(to_tier AS LowCardinality(String)) AS to_tier,
    toUInt32(count()) AS moves,
    toUInt32(uniqExact(user_id)) AS users
FROM moves
GROUP BY week_start_date, from_tier, to_tier

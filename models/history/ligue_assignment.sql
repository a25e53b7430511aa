-- History (SCD2) of league assignments: the week-start INSERT and the week-end UPDATE (final rank,
-- XP, outcome) of each user's place in a group become two versions of (user_id, instance_id).
{{ config "unique_key" (list "user_id" "instance_id") }}
SELECT * FROM {{ ref "ligue_assignment_staging" }}

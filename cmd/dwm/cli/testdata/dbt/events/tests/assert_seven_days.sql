-- The spine has one row per day of the first week, whatever the events.
select count() as days from {{ ref('daily_activity') }} having days != 7

-- event_weight's multiIf: purchases weigh 10, lessons 2, signups 1.
select * from {{ ref('events_incremental') }}
where weight != multiIf(event_type = 'purchase', 10, event_type = 'lesson', 2, 1)

-- Every finalised group ranks its members 1..n, with no gaps and no repeats.
SELECT instance_id, week_start_date, count() AS members, min(final_rank) AS min_rank,
       max(final_rank) AS max_rank, uniqExact(final_rank) AS distinct_ranks
FROM {{ ref "ligue_assignment" }}
WHERE is_current AND final_rank IS NOT NULL
GROUP BY instance_id, week_start_date
HAVING min_rank != 1 OR max_rank != members OR distinct_ranks != members

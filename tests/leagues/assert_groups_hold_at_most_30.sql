-- League groups hold at most 30 users, and the group's actual_participants matches its members.
SELECT i.instance_id AS instance_id, i.actual_participants AS actual_participants, m.members AS members
FROM {{ ref "ligue_instances" }} AS i
LEFT JOIN (
    SELECT instance_id, toUInt32(count()) AS members
    FROM {{ ref "ligue_assignment" }}
    WHERE is_current
    GROUP BY instance_id
) AS m ON m.instance_id = i.instance_id
WHERE i.is_current AND (m.members > 30 OR (i.actual_participants > 0 AND i.actual_participants != m.members))
SETTINGS join_use_nulls = 0

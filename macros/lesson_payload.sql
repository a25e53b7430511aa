{{- /* lesson_payload: a lesson event's JSON payload parsed once, as the named tuple
         (lesson_id, status, xp_earned, score, mistakes_made, time_spent_seconds):
             SELECT e.lp.xp_earned ... FROM (SELECT *, {{ macro "lesson_payload" "payload" }} AS lp FROM ...) AS e

Parsing the payload once instead of once per field (JSONExtractUInt(payload, 'xp_earned'), ...)
halves the parse of user_activity (docs/benchmarks-warehouse.md, "Ninth session"). Each element is
exactly what JSONExtractUInt, or JSONExtractString for status, gives for that field of a JSON
object (event_stream quarantines every other payload): numbers, numeric strings, floats, nulls,
nested values and missing fields alike, except booleans, which one JSONExtract reads as 1 and 0
where JSONExtractUInt gives 0. So a payload holding the text true or false anywhere is read field
by field, as before (the unit test user_activity_parses_payloads_like_jsonextract covers both). */ -}}
{{ define "lesson_payload" }}{{ param "payload" -}}
{{- $t := "'Tuple(lesson_id UInt64, status String, xp_earned UInt64, score UInt64, mistakes_made UInt64, time_spent_seconds UInt64)'" -}}
if(position({{ .payload }}, 'true') = 0 AND position({{ .payload }}, 'false') = 0,
    JSONExtract({{ .payload }}, {{ $t }}),
    CAST((JSONExtractUInt({{ .payload }}, 'lesson_id'), JSONExtractString({{ .payload }}, 'status'),
        JSONExtractUInt({{ .payload }}, 'xp_earned'), JSONExtractUInt({{ .payload }}, 'score'),
        JSONExtractUInt({{ .payload }}, 'mistakes_made'), JSONExtractUInt({{ .payload }}, 'time_spent_seconds')), {{ $t }}))
{{- end }}

{{- /*
Point in time over SCD2 history models (docs/warehouse.md, "Point in time").

A version of an SCD2 model is valid from valid_from (included) to valid_to (excluded); the open
end is 2100-01-01 00:00:00. So the version of a key valid at instant t is the one with

    valid_from <= t AND t < valid_to

At exactly a version's valid_from that version is valid; at exactly its valid_to the next one is;
before a key's first version there is none (the key did not exist yet); a current version is valid
from its valid_from on. Deleted keys keep their last version (is_active = false from the delete
on), so "as of" a later instant still returns it: filter is_active when you want living rows only.

The instant is either a literal date or date-time, 'YYYY-MM-DD' or 'YYYY-MM-DD hh:mm:ss' (written
without quotes: "2026-01-19"), compared in the history's time zone at second precision, or any
SQL expression (a column of the query, such as a.week_start_date, or now()), used as written.
*/ -}}

{{- /* as_of: the versions of an SCD2 relation valid at an instant, as a subquery to select from:
         FROM {{ macro "as_of" (ref "users") "2026-01-19" }} AS u */ -}}
{{ define "as_of" }}{{ param "relation" }}{{ param "at" -}}
(SELECT * FROM {{ .relation }} WHERE {{ macro "valid_at" "" .at }})
{{- end }}

{{- /* valid_at: the condition "this alias's version is valid at the instant", for a join or a WHERE
         when the instant is a column of another table (one version per row, as of each row's week):
         JOIN {{ ref "users" }} AS u ON u.user_id = a.user_id AND {{ macro "valid_at" "u" "a.week_start_date" }}
         An empty alias names the columns unqualified. */ -}}
{{ define "valid_at" }}{{ param "alias" }}{{ param "at" -}}
{{- $p := "" }}{{ if .alias }}{{ $p = printf "%s." .alias }}{{ end -}}
{{- $t := printf "(%v)" .at }}{{ if regexMatch `^[0-9]{4}-[0-9]{2}-[0-9]{2}( [0-9]{2}:[0-9]{2}:[0-9]{2})?$` (printf "%v" .at) }}{{ $t = printf "'%v'" .at }}{{ end -}}
{{ $p }}valid_from <= {{ $t }} AND {{ $t }} < {{ $p }}valid_to
{{- end }}

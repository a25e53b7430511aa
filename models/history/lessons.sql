-- History (SCD2) of lessons: one version per change, keyed by lesson_id.
{{ config "unique_key" "lesson_id" }}
SELECT * FROM {{ ref "lessons_staging" }}

// Package sink plays a CDC tool: it writes the generator's weekly changes into ClickHouse tables
// the way PeerDB / ClickPipes or Debezium through Kafka would, so the warehouse can be fed from a
// CDC tool's tables instead of files (docs/generator.md, "Playing a CDC tool"). It reads the CSV
// files the generator wrote and never imports dwm's engine; the caller hands it a Conn.
package sink

// Column is a column of a sink table and its ClickHouse type.
type Column struct {
	Name, Type string
}

// table is one generator CSV as a sink table: its columns (the CSV's, without op) with the types
// the example project's staging.yml and facts.yml declare, and its primary key. A PeerDB mirror
// sets these types with its column type overrides; a Kafka pipeline's target table declares them.
type table struct {
	name string
	key  []string
	cols []Column
	cdc  bool // a PostgreSQL table delivered by CDC (false: the app's clickstream through Kafka)
}

var tables = []table{
	{name: "ligue_tiers", key: []string{"tier_id"}, cdc: true, cols: []Column{{"tier_id", "UInt8"}, {"tier_name", "String"},
		{"promotion_slots", "UInt8"}, {"relegation_slots", "UInt8"}, {"cdc_timestamp", "DateTime"}}},
	{name: "event_types", key: []string{"event_type_id"}, cdc: true, cols: []Column{{"event_type_id", "UInt16"}, {"event_name", "String"},
		{"event_category", "LowCardinality(String)"}, {"description", "String"}, {"cdc_timestamp", "DateTime"}}},
	{name: "lessons", key: []string{"lesson_id"}, cdc: true, cols: []Column{{"lesson_id", "UInt32"}, {"lesson_name", "String"},
		{"language", "LowCardinality(String)"}, {"difficulty", "LowCardinality(String)"}, {"category", "LowCardinality(String)"},
		{"xp_reward", "UInt16"}, {"estimated_minutes", "UInt8"}, {"cdc_timestamp", "DateTime"}}},
	{name: "users", key: []string{"user_id"}, cdc: true, cols: []Column{{"user_id", "UInt64"}, {"username", "String"}, {"email", "String"},
		{"country_code", "FixedString(2)"}, {"region", "LowCardinality(String)"}, {"gender", "LowCardinality(String)"},
		{"birth_date", "Nullable(Date32)"}, {"subscription_tier", "LowCardinality(String)"}, {"signup_date", "Date"},
		{"current_tier", "UInt8"}, {"is_deleted", "Bool"}, {"cdc_timestamp", "DateTime"}}},
	{name: "ligue_instances", key: []string{"instance_id"}, cdc: true, cols: []Column{{"instance_id", "UInt64"}, {"tier_id", "UInt8"},
		{"week_start_date", "Date"}, {"week_end_date", "Date"}, {"max_participants", "UInt16"}, {"actual_participants", "UInt16"},
		{"cdc_timestamp", "DateTime"}}},
	{name: "ligue_assignment", key: []string{"user_id", "instance_id"}, cdc: true, cols: []Column{{"user_id", "UInt64"}, {"instance_id", "UInt64"},
		{"tier_id", "UInt8"}, {"week_start_date", "Date"}, {"week_end_date", "Date"}, {"starting_rank", "Nullable(UInt16)"},
		{"final_rank", "Nullable(UInt16)"}, {"total_xp_earned", "UInt32"}, {"outcome", "LowCardinality(Nullable(String))"},
		{"cdc_timestamp", "DateTime"}}},
	{name: "event_stream", key: []string{"_offset"}, cols: []Column{{"event_id", "String"}, {"user_id", "UInt64"}, {"event_type_id", "UInt16"},
		{"event_timestamp", "DateTime64(3)"}, {"event_date", "Date"}, {"payload", "String"}, {"session_id", "String"},
		{"platform", "LowCardinality(String)"}, {"app_version", "LowCardinality(String)"}, {"device_id", "String"}}},
}

// The columns each tool adds to a row.
var (
	// PeerDB's ClickHouse destination tables (flow/connectors/clickhouse/normalize.go): the sync
	// time, the delete flag (the raw record type / 2) and the version (the raw record's timestamp).
	peerdbColumns = []Column{{"_peerdb_synced_at", "DateTime64(9)"}, {"_peerdb_is_deleted", "Int8"}, {"_peerdb_version", "Int64"}}
	// Debezium's record flattened by ExtractNewRecordState (add.fields=op,source.ts_ms,ts_ms,
	// delete.handling.mode=rewrite): the op code, the commit time, the time Debezium handled it,
	// the delete marker.
	debeziumColumns = []Column{{"__op", "LowCardinality(String)"}, {"__source_ts_ms", "Int64"}, {"__ts_ms", "Int64"}, {"__deleted", "LowCardinality(String)"}}
	// The Kafka table engine's virtual columns, which the materialized view that reads the topic
	// keeps (ClickPipes for Kafka offers the same ones).
	kafkaColumns = []Column{{"_topic", "LowCardinality(String)"}, {"_partition", "Int32"}, {"_offset", "Int64"}, {"_timestamp", "DateTime64(3)"}}
)

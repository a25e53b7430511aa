package server

// CreateDatabaseSQL lets the external tests compare the statement with materialize's.
var CreateDatabaseSQL = createDatabaseSQL

package materialize

// SQLColumns is implemented by materializations whose relation has exactly the columns of the
// model's SELECT, so those columns can be checked (contracts, declared data types) by describing
// the query before anything is built. Kinds whose SQL is not the relation's query (the CDC kinds
// load files and keep their own columns) do not implement it.
type SQLColumns interface {
	ColumnsFromSQL() bool
}

// ColumnsFromSQL implements SQLColumns.
func (ViewMaterialization) ColumnsFromSQL() bool { return true }

// ColumnsFromSQL implements SQLColumns.
func (TableMaterialization) ColumnsFromSQL() bool { return true }

// ColumnsFromSQL implements SQLColumns.
func (IncrementalMaterialization) ColumnsFromSQL() bool { return true }

var (
	_ SQLColumns = ViewMaterialization{}
	_ SQLColumns = TableMaterialization{}
	_ SQLColumns = IncrementalMaterialization{}
)

// ColumnsFromSQL reports whether the materialization called name builds the columns of the
// model's SELECT.
func (r *Registry) ColumnsFromSQL(name string) bool {
	m, ok := r.byName[name]
	if !ok {
		return false
	}
	c, ok := m.(SQLColumns)
	return ok && c.ColumnsFromSQL()
}

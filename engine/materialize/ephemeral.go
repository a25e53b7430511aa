package materialize

// EphemeralMaterialization builds nothing: the compiler inlines ephemeral models as CTEs.
type EphemeralMaterialization struct{}

var _ Materialization = EphemeralMaterialization{}

// Name implements Materialization.
func (EphemeralMaterialization) Name() string { return "ephemeral" }

// ConfigKeys implements Materialization.
func (EphemeralMaterialization) ConfigKeys() []string { return nil }

// Plan implements Materialization: there is nothing to run.
func (EphemeralMaterialization) Plan(Input) ([]Step, error) { return nil, nil }

package jinja

// Expr is a Jinja expression.
type Expr interface{ expr() }

type (
	// Lit is a literal: string, int64, float64, bool or nil (none).
	Lit struct{ Val any }
	// Name is a variable or function name.
	Name struct{ Name string }
	// Attr is X.Name.
	Attr struct {
		X    Expr
		Name string
	}
	// Index is X[Key].
	Index struct{ X, Key Expr }
	// Call is Fn(Args..., Kw...).
	Call struct {
		Fn   Expr
		Args []Expr
		Kw   []Kwarg
	}
	// Filter is X | Name(Args...).
	Filter struct {
		X    Expr
		Name string
		Args []Expr
		Kw   []Kwarg
	}
	// Binary is L Op R; Op is the Jinja operator ("==", "and", "in", "not in", "~", ...).
	Binary struct {
		Op   string
		L, R Expr
	}
	// Unary is Op X ("not" or "-").
	Unary struct {
		Op string
		X  Expr
	}
	// Test is X is [not] Name(Args...).
	Test struct {
		X    Expr
		Not  bool
		Name string
		Args []Expr
	}
	// List is [a, b] (a tuple is read as a list).
	List struct{ Elems []Expr }
	// Dict is {k: v, ...}.
	Dict struct{ Keys, Vals []Expr }
	// Cond is Then if Cond else Else.
	Cond struct{ Then, Cond, Else Expr }
)

// Kwarg is a keyword argument of a call.
type Kwarg struct {
	Name string
	Val  Expr
}

func (Lit) expr()    {}
func (Name) expr()   {}
func (Attr) expr()   {}
func (Index) expr()  {}
func (Call) expr()   {}
func (Filter) expr() {}
func (Binary) expr() {}
func (Unary) expr()  {}
func (Test) expr()   {}
func (List) expr()   {}
func (Dict) expr()   {}
func (Cond) expr()   {}

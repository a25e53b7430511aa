package chsql

import "strings"

// Split cuts a script into its statements at the semicolons outside strings, quoted names and
// comments; statements that are only spaces and comments are dropped. Inline INSERT data is not
// supported (a ';' inside it would split it), which is fine for the SQL templates render.
func Split(text string) ([]string, error) {
	toks, err := Tokens(text)
	if err != nil {
		return nil, err
	}
	var out []string
	start, significant := 0, false
	flush := func(end int) {
		if significant {
			out = append(out, strings.TrimSpace(text[start:end]))
		}
	}
	for _, t := range toks {
		switch {
		case t.Kind == Punct && t.Text(text) == ";":
			flush(t.Start)
			start, significant = t.End, false
		case t.Kind != Space && t.Kind != Comment:
			significant = true
		}
	}
	flush(len(text))
	return out, nil
}

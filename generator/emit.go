package generator

// emit writes one event row with a constant (already CSV-escaped) payload.
func (g *eventGen) emit(typ int, ms int64, payload string, lesson bool) {
	g.pay = append(g.pay[:0], payload...)
	g.emitPay(typ, ms, lesson)
}

// emitPay appends the event_stream row whose payload is in g.pay, then lets the fault plan duplicate,
// delay or shadow it. lesson marks lesson events, which are never delayed: the XP truth of a week must
// be in its own file.
func (g *eventGen) emitPay(typ int, ms int64, lesson bool) {
	out := g.out
	start := len(out.buf)
	out.buf = g.appendRow(out.buf, typ, ms, g.pay)
	out.counts.rows++
	f := &g.env.faults
	if !f.enabled {
		return
	}
	switch u := g.fr.Uint64(); {
	case u < f.dupSame:
		out.buf = append(out.buf, out.buf[start:]...)
		out.counts.rows++
		out.counts.dupSame++
	case u < f.dupNext:
		out.carry = append(out.carry, out.buf[start:]...)
		out.counts.dupNext++
	case u < f.late:
		if !lesson {
			out.carry = append(out.carry, out.buf[start:]...)
			out.buf = out.buf[:start]
			out.counts.rows--
			out.counts.late++
		}
	case u < f.malformed:
		g.fpay = append(g.fpay[:0], malformedPayloads[g.fr.IntN(len(malformedPayloads))]...)
		out.buf = g.appendRow(out.buf, malformedTypes[g.fr.IntN(len(malformedTypes))], ms, g.fpay)
		out.counts.rows++
		out.counts.malformed++
	case u < f.unknown:
		g.fpay = append(g.fpay[:0], `{""experiment"":""client_v2_probe""}`...)
		out.buf = g.appendRow(out.buf, UnknownTypeMin+g.fr.IntN(100), ms, g.fpay)
		out.counts.rows++
		out.counts.unknown++
	}
}

// appendRow formats one event_stream row. Every row, injected or real, takes the next id of this
// user-week, so ids are unique and deterministic.
func (g *eventGen) appendRow(b []byte, typ int, ms int64, payload []byte) []byte {
	k := g.idBase ^ g.seq
	g.seq++
	b = appendUUID(b, mix64(k), mix64(k^0x3c6ef372fe94f82b))
	b = append(b, ',')
	b = appendUint(b, g.uid)
	b = append(b, ',')
	b = appendUint(b, uint64(typ))
	b = append(b, ',')
	date := g.env.dates[ms/msPerDay][:]
	b = append(b, date...)
	b = append(b, ' ')
	b = appendClock(b, int(ms%msPerDay), true)
	b = append(b, ',')
	b = append(b, date...)
	b = append(b, ',', '"')
	b = append(b, payload...)
	b = append(b, '"')
	return append(b, g.tail...)
}

// Package browser drives a real headless Chromium from Go tests over the DevTools protocol, so
// a test can open a page, type, press keys and click like a user and read what the page's
// JavaScript rendered. It speaks the protocol over --remote-debugging-pipe (JSON messages
// separated by NUL bytes on file descriptors 3 and 4): no port, no websocket, no other client.
package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Flags are the command-line flags Chromium gets besides the pipe and the profile directory:
// headless, no sandbox (tests run as root in CI), and nothing that reaches the network.
var Flags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
	"--disable-default-apps", "--mute-audio", "--no-default-browser-check"}

// Browser is one Chromium process.
type Browser struct {
	cmd    *exec.Cmd
	toB    *os.File // Chromium reads commands from its fd 3
	mu     sync.Mutex
	nextID int
	wait   map[int]chan message
	events map[string][]chan message // by sessionId, one channel per Page
	closed chan struct{}
	err    error // why the reader stopped
	stderr *lockedWriter
}

type message struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
}

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Start runs the Chromium at path with a fresh profile; the test's cleanup stops it and every
// process it started (its process group).
func Start(t testing.TB, path string) *Browser {
	t.Helper()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	evR, evW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{}, Flags...), "--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd := exec.Command(path, args...)
	cmd.ExtraFiles = []*os.File{cmdR, evW} // fd 3: commands in, fd 4: answers and events out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr := &lockedWriter{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	cmdR.Close()
	evW.Close()
	b := &Browser{cmd: cmd, toB: cmdW, wait: map[int]chan message{}, events: map[string][]chan message{},
		closed: make(chan struct{}), stderr: stderr}
	go b.read(evR)
	t.Cleanup(func() {
		_ = b.toB.Close() // Chromium exits when its command pipe closes
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-exited
		}
		// Helpers (renderer, GPU, utility processes) share the group; none may outlive the test.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	return b
}

// Stderr is what Chromium printed so far, for failure messages.
func (b *Browser) Stderr() string { return b.stderr.String() }

// lockedWriter lets Chromium's stderr be copied while a failure message reads it.
type lockedWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (b *Browser) read(r io.ReadCloser) {
	defer r.Close()
	br := bufio.NewReaderSize(r, 1<<20)
	for {
		raw, err := br.ReadBytes(0)
		if err != nil {
			b.mu.Lock()
			b.err = fmt.Errorf("chromium closed its DevTools pipe: %w", err)
			b.mu.Unlock()
			close(b.closed)
			return
		}
		var m message
		if err := json.Unmarshal(raw[:len(raw)-1], &m); err != nil {
			continue
		}
		b.mu.Lock()
		if m.ID != 0 {
			if ch := b.wait[m.ID]; ch != nil {
				ch <- m
				delete(b.wait, m.ID)
			}
		} else {
			for _, ch := range b.events[m.SessionID] {
				select {
				case ch <- m:
				default: // a page that reads no events does not stall the browser
				}
			}
		}
		b.mu.Unlock()
	}
}

// call sends one command (to a page when session is set) and decodes its result into out.
func (b *Browser) call(ctx context.Context, session, method string, params, out any) error {
	p, err := json.Marshal(params)
	if err != nil {
		return err
	}
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan message, 1)
	b.wait[id] = ch
	b.mu.Unlock()
	msg, err := json.Marshal(message{ID: id, Method: method, Params: p, SessionID: session})
	if err != nil {
		return err
	}
	if _, err := b.toB.Write(append(msg, 0)); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m := <-ch:
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(m.Result, out)
		}
		return nil
	case <-b.closed:
		return fmt.Errorf("%s: %w", method, b.err)
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

// Page is one tab.
type Page struct {
	b       *Browser
	session string
	events  chan message
	mu      sync.Mutex
	errs    []string // uncaught exceptions and console errors, in order
	loads   int
}

// NewPage opens a blank tab and starts recording its JavaScript errors.
func (b *Browser) NewPage(ctx context.Context) (*Page, error) {
	var target struct {
		TargetID string `json:"targetId"`
	}
	if err := b.call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target); err != nil {
		return nil, err
	}
	var att struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &att); err != nil {
		return nil, err
	}
	p := &Page{b: b, session: att.SessionID, events: make(chan message, 256)}
	b.mu.Lock()
	b.events[p.session] = append(b.events[p.session], p.events)
	b.mu.Unlock()
	go p.collect()
	for _, m := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		if err := p.Call(ctx, m, nil, nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Page) collect() {
	for {
		select {
		case m := <-p.events:
			p.record(m)
		case <-p.b.closed:
			return
		}
	}
}

func (p *Page) record(m message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch m.Method {
	case "Page.loadEventFired":
		p.loads++
	case "Runtime.exceptionThrown":
		var e struct {
			ExceptionDetails struct {
				Text      string `json:"text"`
				Exception struct {
					Description string `json:"description"`
				} `json:"exception"`
			} `json:"exceptionDetails"`
		}
		_ = json.Unmarshal(m.Params, &e)
		p.errs = append(p.errs, "uncaught: "+e.ExceptionDetails.Text+" "+e.ExceptionDetails.Exception.Description)
	case "Runtime.consoleAPICalled":
		var e struct {
			Type string `json:"type"`
			Args []struct {
				Value       any    `json:"value"`
				Description string `json:"description"`
			} `json:"args"`
		}
		_ = json.Unmarshal(m.Params, &e)
		if e.Type == "error" || e.Type == "assert" {
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, fmt.Sprint(a.Value, a.Description))
			}
			p.errs = append(p.errs, "console."+e.Type+": "+strings.Join(parts, " "))
		}
	case "Log.entryAdded":
		var e struct {
			Entry struct {
				Level, Text, URL string
			} `json:"entry"`
		}
		_ = json.Unmarshal(m.Params, &e)
		if e.Entry.Level == "error" {
			p.errs = append(p.errs, "log: "+e.Entry.Text+" "+e.Entry.URL)
		}
	}
}

// Call sends a DevTools command to the page.
func (p *Page) Call(ctx context.Context, method string, params, out any) error {
	if params == nil {
		params = map[string]any{}
	}
	return p.b.call(ctx, p.session, method, params, out)
}

// Errors returns the JavaScript errors the page reported so far.
func (p *Page) Errors() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string{}, p.errs...)
}

// Navigate opens url and waits for its load event (the page's scripts have run by then).
func (p *Page) Navigate(ctx context.Context, url string) error {
	p.mu.Lock()
	before := p.loads
	p.mu.Unlock()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	if err := p.Call(ctx, "Page.navigate", map[string]any{"url": url}, &nav); err != nil {
		return err
	}
	if nav.ErrorText != "" {
		return fmt.Errorf("navigate %s: %s", url, nav.ErrorText)
	}
	return p.WaitFor(ctx, func() (bool, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.loads > before, nil
	})
}

// Eval evaluates a JavaScript expression in the page and decodes its (JSON-able) value.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.Call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		return fmt.Errorf("evaluate %q: %s %s", expr, r.ExceptionDetails.Text, r.ExceptionDetails.Exception.Description)
	}
	if out == nil || len(r.Result.Value) == 0 {
		return nil
	}
	return json.Unmarshal(r.Result.Value, out)
}

// WaitFor polls cond until it holds, fails, or ctx ends: the way to wait for the page to react
// to an event (a hash change is handled asynchronously), never a fixed sleep.
func (p *Page) WaitFor(ctx context.Context, cond func() (bool, error)) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil || ok {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the page: %w", ctx.Err())
		case <-p.b.closed:
			return p.b.err
		case <-tick.C:
		}
	}
}

// WaitForJS waits until the JavaScript expression is true.
func (p *Page) WaitForJS(ctx context.Context, expr string) error {
	err := p.WaitFor(ctx, func() (bool, error) {
		var ok bool
		return ok, p.Eval(ctx, expr, &ok)
	})
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s never became true: %w", expr, err)
	}
	return err
}

// Type sends text as keyboard input to the focused element.
func (p *Page) Type(ctx context.Context, text string) error {
	return p.Call(ctx, "Input.insertText", map[string]any{"text": text}, nil)
}

// Press presses and releases a key such as "Enter".
func (p *Page) Press(ctx context.Context, key string, keyCode int) error {
	for _, typ := range []string{"keyDown", "keyUp"} {
		params := map[string]any{"type": typ, "key": key, "code": key, "windowsVirtualKeyCode": keyCode, "nativeVirtualKeyCode": keyCode}
		if typ == "keyDown" && key == "Enter" {
			params["text"] = "\r"
		}
		if typ == "keyDown" && key == "Backspace" {
			params["commands"] = []string{"deleteBackward"} // the editing a real keyboard's Backspace does
		}
		if err := p.Call(ctx, "Input.dispatchKeyEvent", params, nil); err != nil {
			return err
		}
	}
	return nil
}

// ClickSelector scrolls the first element matching a CSS selector into view and clicks its
// centre with the mouse, as a user would.
func (p *Page) ClickSelector(ctx context.Context, selector string) error {
	var box struct{ X, Y float64 }
	sel, _ := json.Marshal(selector)
	expr := `(() => { const e = document.querySelector(` + string(sel) + `); if (!e) return null;
		e.scrollIntoView({block: "center", inline: "center"}); const r = e.getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`
	var found json.RawMessage
	if err := p.Eval(ctx, expr, &found); err != nil {
		return err
	}
	if string(found) == "null" || len(found) == 0 {
		return fmt.Errorf("click: nothing matches %s", selector)
	}
	if err := json.Unmarshal(found, &box); err != nil {
		return err
	}
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		params := map[string]any{"type": typ, "x": box.X, "y": box.Y}
		if typ != "mouseMoved" {
			params["button"], params["clickCount"] = "left", 1
		}
		if err := p.Call(ctx, "Input.dispatchMouseEvent", params, nil); err != nil {
			return err
		}
	}
	return nil
}

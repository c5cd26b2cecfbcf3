// Command webshot takes a PNG screenshot of a web page with a Chromium
// already running headless with --remote-debugging-port: it opens the page
// in a new tab through the DevTools protocol, waits until the page's text
// holds a given string (a JavaScript app renders after its load event,
// which is why Chromium's own --screenshot shoots it blank), and writes the
// shot. scripts/screenshot.sh runs it for the README's picture.
//
//	webshot -devtools 127.0.0.1:9222 -url URL -wait-for TEXT -out FILE
package main

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/websocket"
)

func main() {
	devtools := flag.String("devtools", "127.0.0.1:9222", "Chromium's remote debugging address")
	page := flag.String("url", "", "the page to shoot")
	waitFor := flag.String("wait-for", "", "shoot once the page's text contains this")
	out := flag.String("out", "screenshot.png", "the PNG file to write")
	timeout := flag.Duration("timeout", time.Minute, "give up after this long")
	flag.Parse()
	if *page == "" {
		fmt.Fprintln(os.Stderr, "webshot: -url is required")
		os.Exit(2)
	}
	if err := shoot(*devtools, *page, *waitFor, *out, *timeout); err != nil {
		fmt.Fprintln(os.Stderr, "webshot:", err)
		os.Exit(1)
	}
}

// shoot opens page in a new tab, waits for waitFor in its text, and writes
// the tab's screenshot to out.
func shoot(devtools, page, waitFor, out string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	tab, err := newTab(devtools, page)
	if err != nil {
		return err
	}
	ws, err := websocket.Dial(tab, "", "http://"+devtools)
	if err != nil {
		return fmt.Errorf("connect to the tab at %s: %w", tab, err)
	}
	defer ws.Close()
	s := &session{ws: ws}
	for {
		var text struct {
			Result struct {
				Value string `json:"value"`
			} `json:"result"`
		}
		if err := s.call("Runtime.evaluate", map[string]any{"expression": "document.body ? document.body.innerText : ''", "returnByValue": true}, &text); err != nil {
			return err
		}
		if strings.Contains(text.Result.Value, waitFor) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the page's text has no %q after %s", waitFor, timeout)
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The app's last requests and fonts settle.
	time.Sleep(time.Second)
	var shot struct {
		Data string `json:"data"`
	}
	if err := s.call("Page.captureScreenshot", map[string]any{"format": "png"}, &shot); err != nil {
		return err
	}
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		return fmt.Errorf("decode the screenshot: %w", err)
	}
	return os.WriteFile(out, png, 0o644)
}

// newTab opens page in a new tab and returns the tab's DevTools WebSocket
// address.
func newTab(devtools, page string) (string, error) {
	req, err := http.NewRequest(http.MethodPut, "http://"+devtools+"/json/new?"+url.QueryEscape(page), nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("open a tab through %s: %w", devtools, err)
	}
	defer resp.Body.Close()
	var tab struct {
		WebSocketDebuggerURL string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tab); err != nil || tab.WebSocketDebuggerURL == "" {
		return "", fmt.Errorf("open a tab through %s: %s, no webSocketDebuggerUrl (%v)", devtools, resp.Status, err)
	}
	return tab.WebSocketDebuggerURL, nil
}

// session is a DevTools protocol connection to one tab.
type session struct {
	ws   *websocket.Conn
	next int
}

// call sends method with params and decodes the answer's result into
// result, skipping the events that come meanwhile.
func (s *session) call(method string, params any, result any) error {
	s.next++
	id := s.next
	if err := websocket.JSON.Send(s.ws, map[string]any{"id": id, "method": method, "params": params}); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	for {
		var msg struct {
			ID     int             `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := websocket.JSON.Receive(s.ws, &msg); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		if msg.ID != id {
			continue
		}
		if msg.Error != nil {
			return fmt.Errorf("%s: %s", method, msg.Error.Message)
		}
		if len(msg.Result) == 0 {
			return errors.New(method + ": no result")
		}
		return json.Unmarshal(msg.Result, result)
	}
}

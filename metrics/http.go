package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// ContentType is the media type of the Prometheus text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// ServeHTTP writes the registry's metrics.
func (r *Registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	w.Header().Set("Content-Type", ContentType)
	if req.Method == http.MethodHead {
		return
	}
	r.write(req.Context(), w) // a failed write means the scraper went away
}

// ShutdownTimeout bounds how long [Serve] waits for scrapes in flight when
// its context ends.
const ShutdownTimeout = 5 * time.Second

// Serve serves reg at GET /metrics on ln until ctx ends, then shuts the
// server down. It returns nil after such a shutdown, else why the server
// stopped.
func Serve(ctx context.Context, ln net.Listener, reg *Registry) error {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reg)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

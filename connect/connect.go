// Package connect opens the clients a Borealis process needs from its
// settings: Temporal (plain, mTLS or API key) and, for the worker, Docker.
package connect

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/borealis-dev/borealis/config/settings"
)

// TemporalOptions turns settings into SDK client options.
func TemporalOptions(st *settings.Settings, logger *slog.Logger) (client.Options, error) {
	t := st.Temporal
	opts := client.Options{HostPort: t.Address, Namespace: t.Namespace}
	if logger != nil {
		opts.Logger = sdklog.NewStructuredLogger(logger)
	}
	if t.TLS() {
		cfg := &tls.Config{ServerName: t.TLSServerName, MinVersion: tls.VersionTLS12}
		if t.TLSCert != "" {
			cert, err := tls.LoadX509KeyPair(t.TLSCert, t.TLSKey)
			if err != nil {
				return opts, fmt.Errorf("temporal TLS client certificate: %w", err)
			}
			cfg.Certificates = []tls.Certificate{cert}
		}
		if t.TLSCA != "" {
			pem, err := os.ReadFile(t.TLSCA)
			if err != nil {
				return opts, fmt.Errorf("temporal TLS CA: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return opts, fmt.Errorf("temporal TLS CA %s: no certificate found", t.TLSCA)
			}
			cfg.RootCAs = pool
		}
		opts.ConnectionOptions.TLS = cfg
	}
	if t.APIKey != "" {
		opts.Credentials = client.NewAPIKeyStaticCredentials(t.APIKey)
	}
	return opts, nil
}

// ErrTemporalUnreachable means no Temporal frontend answered at the address.
var ErrTemporalUnreachable = errors.New("temporal is unreachable")

// Temporal dials Temporal and checks it answers. The error says what to do
// when nothing listens (start `make dev-server`).
func Temporal(ctx context.Context, st *settings.Settings, logger *slog.Logger) (client.Client, error) {
	opts, err := TemporalOptions(st, logger)
	if err != nil {
		return nil, err
	}
	return Dial(ctx, st, opts)
}

// Dial dials Temporal with opts, made by [TemporalOptions] from st and then
// adjusted (a metrics handler, say), and checks it answers, like
// [Temporal].
func Dial(ctx context.Context, st *settings.Settings, opts client.Options) (client.Client, error) {
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("%w at %s (namespace %s): %v; start one with `make dev-server` or set %s",
			ErrTemporalUnreachable, st.Temporal.Address, st.Temporal.Namespace, err, settings.EnvName(settings.KeyTemporalAddress))
	}
	return c, nil
}

package cli

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/borealis-dev/borealis/config"
)

// TestConfigReference: `borealis config reference` prints the reference
// package config generates, needing neither Temporal nor Docker.
func TestConfigReference(t *testing.T) {
	var want bytes.Buffer
	require.NoError(t, config.WriteReference(&want))

	var out, errOut bytes.Buffer
	code := Main([]string{"config", "reference"}, nil, &out, &errOut)
	require.Equal(t, ExitOK, code, errOut.String())
	assert.Equal(t, want.String(), out.String())
	assert.Empty(t, errOut.String())

	out.Reset()
	errOut.Reset()
	assert.Equal(t, ExitInvalidCommand, Main([]string{"config", "reference", "extra"}, nil, &out, &errOut))
}

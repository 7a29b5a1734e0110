package shop_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/quarry-go/quarry/orm"
)

// TestMain keeps what the tests upload, and the pictures Seed draws, out
// of the source tree.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "quarry-shop-media-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	orm.SetMedia(dir, "/media/")
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

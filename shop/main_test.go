package shop_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/quarry-go/quarry/admin"
	"github.com/quarry-go/quarry/app"
	"github.com/quarry-go/quarry/orm"
	"github.com/quarry-go/quarry/shop"
)

// TestMain installs the shop as the program does (its admin on the
// default site, its receivers connected), and keeps what the tests
// upload, and the pictures Seed draws, out of the source tree.
func TestMain(m *testing.M) {
	app.MustInstall(admin.Default, admin.App, shop.App)
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

// Package static holds the files the web server serves under /static/:
// stylesheets now, scripts and images as the apps need them. They are
// embedded so that the binary is the whole application and a deploy copies
// one file.
//
// Add a folder to the go:embed line when you add one here; files outside the
// listed folders (this Go file among them) are deliberately not served.
package static

import "embed"

// FS holds the static files, named relative to this folder ("css/quarry.css").
//
//go:embed css img js
var FS embed.FS

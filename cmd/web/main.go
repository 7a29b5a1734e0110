// Command web is Quarry's one binary, the counterpart of Django's manage.py:
// `web serve` runs the site, and the other commands manage the database.
// `web help` lists them. It is a project built with package manage: its
// apps are listed in apps.go, and its own commands (demo, seed) beside it.
package main

import "github.com/quarry-go/quarry/manage"

func main() { manage.Main(project) }

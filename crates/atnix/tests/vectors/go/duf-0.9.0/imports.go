// The non-standard imports of every .go file (tests included) of muesli/duf at commit 21f4c215,
// collected in one file: go mod vendor reads only go.mod, go.sum and the imports.
package main

import (
	_ "github.com/IGLOU-EU/go-wildcard"
	_ "github.com/jedib0t/go-pretty/v6/table"
	_ "github.com/jedib0t/go-pretty/v6/text"
	_ "github.com/mattn/go-runewidth"
	_ "github.com/muesli/mango"
	_ "github.com/muesli/mango/mflag"
	_ "github.com/muesli/roff"
	_ "github.com/muesli/termenv"
	_ "golang.org/x/sys/unix"
	_ "golang.org/x/sys/windows"
	_ "golang.org/x/sys/windows/registry"
	_ "golang.org/x/term"
)

module github.com/muesli/duf

go 1.23.0

require (
	github.com/IGLOU-EU/go-wildcard v1.0.3
	github.com/jedib0t/go-pretty/v6 v6.6.8
	github.com/mattn/go-runewidth v0.0.16
	github.com/muesli/mango v0.2.0
	github.com/muesli/roff v0.1.0
	github.com/muesli/termenv v0.16.0
	golang.org/x/sys v0.35.0
	golang.org/x/term v0.34.0
)

require (
	github.com/aymanbagabas/go-osc52/v2 v2.0.1 // indirect
	github.com/lucasb-eyer/go-colorful v1.2.0 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	golang.org/x/text v0.22.0 // indirect
)

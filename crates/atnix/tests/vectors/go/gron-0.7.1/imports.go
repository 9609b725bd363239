// The non-standard imports of every .go file (tests included) of tomnomnom/gron at commit badf401d,
// collected in one file: go mod vendor reads only go.mod, go.sum and the imports.
package main

import (
	_ "github.com/fatih/color"
	_ "github.com/mattn/go-colorable"
	_ "github.com/nwidger/jsoncolor"
	_ "github.com/pkg/errors"
)

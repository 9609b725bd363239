# The atnix package set. Lazy: naming a package here evaluates nothing until it
# is used, so modules can import this set without our overlay.
{ pkgs }:
{
}

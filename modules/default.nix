# Every NixOS module we ship, by the name it has in `nixosModules`. Paths, not
# functions, as NUR requires.
{
}
